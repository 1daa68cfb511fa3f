module flavors

go 1.26.0

require (
	github.com/yuin/goldmark v1.8.7
	golang.org/x/sys v0.49.0
	google.golang.org/protobuf v1.36.12
)
