package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

const (
	protobufModule   = "google.golang.org/protobuf"
	vtprotobufModule = "github.com/planetscale/vtprotobuf"
)

// A plugin is a protoc plugin this tool runs with `go run`, at the version pinned in this
// module's go.mod, and the parameter protoc would pass it.
type plugin struct {
	pkg       string
	parameter string
}

// plugins generate the book's Go: the messages (protoc-gen-go), and vtprotobuf's
// reflection-free MarshalVT/UnmarshalVT/SizeVT, which the Overview measures against the
// other codecs.
var plugins = []plugin{
	{protobufModule + "/cmd/protoc-gen-go", "paths=source_relative"},
	{vtprotobufModule + "/cmd/protoc-gen-go-vtproto", "paths=source_relative,features=marshal+unmarshal+size"},
}

// codeGeneratorRequest compiles one .proto and describes it, and every file
// it imports, the way protoc describes them to a plugin: dependencies first,
// source info (the comments that become Go doc comments) included.
func codeGeneratorRequest(protoPath string) (*pluginpb.CodeGeneratorRequest, error) {
	dir, name := filepath.Split(protoPath)
	if dir == "" {
		dir = "."
	}
	compiler := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
			ImportPaths: []string{dir},
		}),
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	files, err := compiler.Compile(context.Background(), name)
	if err != nil {
		return nil, err
	}
	var ordered []*descriptorpb.FileDescriptorProto
	seen := map[string]bool{}
	var visit func(fd protoreflect.FileDescriptor)
	visit = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			visit(imports.Get(i).FileDescriptor)
		}
		ordered = append(ordered, protodesc.ToFileDescriptorProto(fd))
	}
	visit(files[0])
	dropTangleHeader(ordered[len(ordered)-1])
	return &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{name},
		ProtoFile:      ordered,
	}, nil
}

// dropTangleHeader removes the tangler's "Code generated" comment from the
// comments protoc-gen-go copies into its output: the Go file has its own
// "Code generated" line, which Go tools expect to come first, and gets the
// chapter named on the line after it.
func dropTangleHeader(fd *descriptorpb.FileDescriptorProto) {
	for _, loc := range fd.GetSourceCodeInfo().GetLocation() {
		kept := loc.LeadingDetachedComments[:0]
		for _, c := range loc.LeadingDetachedComments {
			if !tangleHeader.MatchString("//" + c) {
				kept = append(kept, c)
			}
		}
		loc.LeadingDetachedComments = kept
	}
}

type generatedFile struct {
	name    string
	content []byte
}

// runPlugin runs a plugin from this module, so its version is the one pinned in
// tools/protoc/go.mod, and speaks the plugin protocol to it: the request on
// stdin, the response on stdout.
func runPlugin(p plugin, req *pluginpb.CodeGeneratorRequest) ([]generatedFile, error) {
	req = proto.CloneOf(req)
	req.Parameter = proto.String(p.parameter)
	in, err := proto.Marshal(req)
	if err != nil {
		return nil, err
	}
	name := filepath.Base(p.pkg)
	cmd := exec.Command("go", "run", p.pkg)
	cmd.Dir = moduleDir()
	cmd.Stdin = bytes.NewReader(in)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go run %s: %w", name, err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("%s answered garbage: %w", name, err)
	}
	if resp.Error != nil {
		return nil, fmt.Errorf("%s: %s", name, resp.GetError())
	}
	var out []generatedFile
	for _, f := range resp.File {
		out = append(out, generatedFile{f.GetName(), []byte(f.GetContent())})
	}
	return out, nil
}

// moduleDir is the directory of this tool's go.mod, wherever the command was
// started from.
func moduleDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Dir(file)
}

// sameVersionsAsRoot refuses to generate code with plugins other than the
// versions of the runtimes the book's own go.mod pins (protobuf's, and
// vtprotobuf's helpers): generated code and runtime are released together and
// only promised to work together.
func sameVersionsAsRoot(protoPath string) error {
	root, err := rootDir(protoPath)
	if err != nil {
		return err
	}
	for _, module := range []string{protobufModule, vtprotobufModule} {
		want, err := requiredVersion(filepath.Join(root, "go.mod"), module)
		if err != nil {
			return err
		}
		have, err := requiredVersion(filepath.Join(moduleDir(), "go.mod"), module)
		if err != nil {
			return err
		}
		if have != want {
			return fmt.Errorf("tools/protoc/go.mod has %s %s but %s has %s; pin the same version in both",
				module, have, filepath.Join(root, "go.mod"), want)
		}
	}
	return nil
}

// rootDir is the nearest directory at or above path's that holds a go.mod.
func rootDir(path string) (string, error) {
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the .proto")
		}
		dir = parent
	}
}

// requiredVersion reads the version of module from a go.mod's require lines.
func requiredVersion(goMod, module string) (string, error) {
	f, err := os.Open(goMod)
	if err != nil {
		return "", err
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		fields := strings.Fields(strings.TrimPrefix(strings.TrimSpace(lines.Text()), "require "))
		if len(fields) >= 2 && fields[0] == module {
			return fields[1], nil
		}
	}
	if err := lines.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%s does not require %s", goMod, module)
}
