module flavors

go 1.25.0

require github.com/yuin/goldmark v1.8.7

require google.golang.org/protobuf v1.36.11

require golang.org/x/sys v0.47.0
