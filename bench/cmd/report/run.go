package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"

	"github.com/dispatchgen/dispatchgen/bench/internal/report"
)

// Config is what to read and what to write.
type Config struct {
	Raw       string // go test -bench output
	Benchstat string // benchstat's output on Raw, or ""
	Markdown  string // the report to write
	Chart     string // the SVG chart to write, linked from the report
}

// growthChart returns the path of the chart of g: beside cfg.Chart, named
// after it and g.
func (cfg Config) growthChart(g report.Growth) string {
	return strings.TrimSuffix(cfg.Chart, ".svg") + "-" + g.Name + ".svg"
}

func run(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	var cfg Config
	fs.StringVar(&cfg.Raw, "raw", "", "`file` of go test -bench output to read")
	fs.StringVar(&cfg.Benchstat, "benchstat", "", "`file` of benchstat's output on it, to include")
	fs.StringVar(&cfg.Markdown, "md", "", "markdown `file` to write")
	fs.StringVar(&cfg.Chart, "svg", "", "SVG `file` to write the chart to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Raw == "" || cfg.Markdown == "" || cfg.Chart == "" || fs.NArg() != 0 {
		fs.Usage()
		return errors.New("-raw, -md and -svg are required, and nothing else")
	}
	return write(cfg)
}

// write reads cfg.Raw and writes the report and its chart.
func write(cfg Config) error {
	f, err := os.Open(cfg.Raw)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := report.Parse(f, cfg.Raw)
	if err != nil {
		return err
	}
	r := &report.Report{
		Results:     res,
		Outcomes:    report.Check(res, report.Targets()),
		Comparisons: report.Compare(res, report.Scenarios()),
	}
	if cfg.Benchstat != "" {
		stat, err := os.ReadFile(cfg.Benchstat)
		if err != nil {
			return err
		}
		r.Benchstat = string(stat)
	}
	dir := filepath.Dir(cfg.Markdown)
	if r.Chart, err = relPath(dir, cfg.Chart); err != nil {
		return err
	}
	if r.Raw, err = relPath(dir, cfg.Raw); err != nil {
		return err
	}

	var chart bytes.Buffer
	if err := report.WriteChart(&chart, r.Outcomes); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Chart, chart.Bytes(), 0o666); err != nil {
		return err
	}
	if err := writeGrowths(cfg, r, dir); err != nil {
		return err
	}
	var md bytes.Buffer
	if err := r.WriteMarkdown(&md); err != nil {
		return err
	}
	return os.WriteFile(cfg.Markdown, md.Bytes(), 0o666)
}

// writeGrowths adds the growth sections to r and writes their charts.
func writeGrowths(cfg Config, r *report.Report, dir string) error {
	for _, g := range report.Growths() {
		s := report.GrowthSection{Growth: g, Curves: report.Curves(r.Results, g)}
		if len(s.Curves) > 0 {
			path := cfg.growthChart(g)
			var chart bytes.Buffer
			if err := report.WriteGrowthChart(&chart, g, s.Curves); err != nil {
				return err
			}
			if err := os.WriteFile(path, chart.Bytes(), 0o666); err != nil {
				return err
			}
			var err error
			if s.Chart, err = relPath(dir, path); err != nil {
				return err
			}
		}
		r.Growths = append(r.Growths, s)
	}
	return nil
}

// relPath returns path relative to dir, with forward slashes, as a markdown
// link wants it.
func relPath(dir, path string) (string, error) {
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return "", err
	}
	return filepath.ToSlash(rel), nil
}
