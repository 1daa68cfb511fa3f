module flavors

go 1.25.0

require (
	golang.org/x/sys v0.47.0
	google.golang.org/protobuf v1.36.11
)

require (
	github.com/gorilla/websocket v1.5.3 // indirect
	github.com/yuin/goldmark v1.8.7 // indirect
)
