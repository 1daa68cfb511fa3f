module flavors/tools/protoc

go 1.25

require (
	github.com/bufbuild/protocompile v0.14.1
	google.golang.org/protobuf v1.36.11
)

require (
	github.com/planetscale/vtprotobuf v0.6.0 // indirect
	golang.org/x/sync v0.8.0 // indirect
)

tool github.com/planetscale/vtprotobuf/cmd/protoc-gen-go-vtproto
