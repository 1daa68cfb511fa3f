module flavors

go 1.25

require github.com/yuin/goldmark v1.8.7
