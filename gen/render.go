package gen

import (
	"go/token"

	"github.com/dispatchgen/dispatchgen/templates"
)

// rendered is one file's source, ready to write.
type rendered struct {
	path string
	src  []byte
	// pos and recipient are where diagnostics about the file point, and
	// the first recipient it holds.
	pos       token.Position
	recipient string
}

// render turns each modelled file into its gofmt-formatted source.
func render(files []outFile) ([]rendered, error) {
	out := make([]rendered, len(files))
	for i, f := range files {
		src, err := templates.Render(f.model)
		if err != nil {
			return nil, err
		}
		out[i] = rendered{path: f.path, src: src, pos: f.pos, recipient: f.model.Recipients[0].Iface.Name}
	}
	return out, nil
}
