package container

import (
	"archive/tar"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/introspectmock/introspectmock/fixtures"
)

// fixtureFile is a fixture file as it goes into the container's /fixtures.
type fixtureFile struct {
	name string // base name in /fixtures, e.g. "000-tokens.yaml"
	data []byte
}

// readFixtures validates the fixture files and directories in paths, as
// testkit.WithFixtures would load them, and reads them in load order. The
// container loads /fixtures as one directory, sorted by name, so each file
// is named with its position first.
func readFixtures(paths []string) ([]fixtureFile, error) {
	if len(paths) == 0 {
		// The server wants a fixture file; this one holds nothing.
		return []fixtureFile{{name: "000-empty.yaml", data: []byte("# container.Start without WithFixtures: an empty server.\ntokens: []\n")}}, nil
	}
	if _, err := fixtures.Load(time.Now(), paths...); err != nil {
		return nil, err
	}
	var files []fixtureFile
	add := func(path string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		base := filepath.Base(path)
		if ext := filepath.Ext(base); ext != ".yaml" && ext != ".yml" {
			base += ".yaml" // the container reads only *.yaml and *.yml
		}
		files = append(files, fixtureFile{name: fmt.Sprintf("%03d-%s", len(files), base), data: data})
		return nil
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			if err := add(p); err != nil {
				return nil, err
			}
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
				names = append(names, e.Name())
			}
		}
		slices.Sort(names)
		for _, n := range names {
			if err := add(filepath.Join(p, n)); err != nil {
				return nil, err
			}
		}
	}
	return files, nil
}

// fixturesTar returns a tar archive, to extract at /, of the directory
// fixtures/ holding files: owned by root, readable by everyone (the image
// runs as a non-root user), writable by no one.
func fixturesTar(files []fixtureFile) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "fixtures/", Mode: 0o555, ModTime: now})
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "fixtures/" + strings.TrimPrefix(f.name, "/"), Mode: 0o444, Size: int64(len(f.data)), ModTime: now})
		tw.Write(f.data)
	}
	tw.Close() // writes to a bytes.Buffer cannot fail
	return buf.Bytes()
}
