package render

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Export writes the whole book into dir as static files, for any static file server: a page
// per chapter (index.html is the first), book.html with every chapter, the styles and scripts, the search index, and the
// figures. Each Run panel replays its recordings, which the pages carry; where the live Run
// would be, a note says how to run it. What was in dir before is replaced.
func (b *Book) Export(dir string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(filepath.Clean(dir)), ".export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := b.writeExport(tmp); err != nil {
		return err
	}
	// MkdirTemp makes it 0700; a static server may run as someone else.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

func (b *Book) writeExport(dir string) error {
	for _, c := range b.Chapters {
		f, err := os.Create(filepath.Join(dir, Export.Href(c)))
		if err != nil {
			return err
		}
		err = b.Page(f, Export, c, recordedOnly(b.Panel(c)))
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.File, err)
		}
	}
	whole, err := os.Create(filepath.Join(dir, Export.BookHref()))
	if err != nil {
		return err
	}
	err = b.WholeBook(whole, Export)
	if cerr := whole.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	search, err := b.SearchScript(Export)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "search.js"), search, 0o644); err != nil {
		return err
	}
	if err := copyStatic(filepath.Join(dir, "static")); err != nil {
		return err
	}
	return copyFigures(b.FiguresDir(), filepath.Join(dir, "figures"))
}

// copyStatic copies the styles and scripts, with the Run panel's modules joined into one
// script (bundle says why) instead of copied.
func copyStatic(to string) error {
	static := Static()
	err := fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && name == "run":
			return fs.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(to, name), 0o755)
		}
		data, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, name), data, 0o644)
	})
	if err != nil {
		return err
	}
	// The Run panel, and the whole book's figures of recorded runs (figures.js, bundled in
	// place of the module of that name, which imports the panel's).
	for file, entry := range map[string]string{"run.js": "run/panel.js", "figures.js": "figures.js"} {
		script, err := bundle(static, entry)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, file), script, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// copyFigures copies the SVG figures (the data they are drawn from stays behind).
func copyFigures(from, to string) error {
	svgs, err := filepath.Glob(filepath.Join(from, "*.svg"))
	if err != nil || len(svgs) == 0 {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, path := range svgs {
		if !ValidName(filepath.Base(path), ".svg") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(path)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// recordedOnly keeps the modes of a panel that have a recording: in the export, a mode
// without one would show nothing at all. A panel left with none is dropped.
func recordedOnly(p *Panel) *Panel {
	if p == nil || p.Error != "" {
		return nil
	}
	kept := *p
	kept.Modes = nil
	for _, m := range p.Modes {
		if m.Recording != "" {
			kept.Modes = append(kept.Modes, m)
		}
	}
	if len(kept.Modes) == 0 {
		return nil
	}
	return &kept
}
