package heapwisehttp

import "embed"

// pageFS is the heapwise page: the files of the repository's dist/ (a trunk build of web/),
// which scripts/embed-page.sh copies into page/ before the package is built. The repository
// commits only page/placeholder.html (served at / when no build was copied), so the package
// compiles either way; heapwisehttp_test.go checks the copy equals dist/ byte for byte.
//
//go:embed all:page
var pageFS embed.FS
