package handwritten

// This file was written by hand: dispatchgen must not overwrite it.
