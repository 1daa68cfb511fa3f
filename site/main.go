// Command site serves the book: it renders the chapters from disk on every request, and its
// Run panels build, start and drive each chapter's server, streaming what happens to the
// page over a websocket. It is the HTTP and websocket layer over three packages: render (the
// pages), run (the runs) and scenario (what each chapter's Run button plays).
//
//	go run ./site -addr 127.0.0.1:8080     (make run)
//	go run ./site -record                  (make record: refresh chapters/recordings)
//	go run ./site -export out              (make export: the book as static files)
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"flavors/site/render"
	"flavors/site/run"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "serve the book on `host:port` (loopback unless you say otherwise)")
	rootFlag := flag.String("root", "", "the repository `dir` (default: the one holding the current directory)")
	binFlag := flag.String("bin", "", "build and run the servers in `dir` (default: ROOT/bin)")
	record := flag.Bool("record", false, "record every chapter's scenario into chapters/recordings and exit")
	export := flag.String("export", "", "write the book as static files into `dir` and exit")
	flag.Parse()
	log.SetFlags(0)

	root, err := findRoot(*rootFlag)
	if err != nil {
		log.Fatal(err)
	}
	if *export != "" {
		b, err := render.Load(root)
		if err == nil {
			err = b.Export(*export)
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("the book is in %s/ (index.html is its first page)\n", *export)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	bin := *binFlag
	if bin == "" {
		bin = filepath.Join(root, "bin")
	}
	r := run.NewRunner(root, bin)
	if *record {
		if err := recordAll(ctx, root, r, flag.Args()); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := serve(ctx, root, r, *addr); err != nil {
		log.Fatal(err)
	}
}

// serve runs the site until ctx is done, then shuts down gracefully: every run is killed and
// reaped, every websocket gets a close frame.
func serve(ctx context.Context, root string, r *run.Runner, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s := newSite(root, r, ln.Addr())
	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Printf("serving the book at http://%s/\n", ln.Addr())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Print("shutting down: stopping every run")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdownCtx) // the listener, and plain requests; websockets are ours
	s.shutdown()
	<-served
	return err
}

// site is the book's web server.
type site struct {
	root     string
	ctx      context.Context // done when the site shuts down
	cancel   context.CancelCauseFunc
	hosts    map[string]bool
	runner   *run.Runner
	sessions sessions
}

func newSite(root string, r *run.Runner, listen net.Addr) *site {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &site{root: root, ctx: ctx, cancel: cancel, hosts: allowedHosts(listen), runner: r}
}

func (s *site) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.FS(render.Static()))))
	mux.HandleFunc("GET /search.js", s.handleSearch)
	mux.HandleFunc("GET /figures/{name}", s.handleFigure)
	mux.HandleFunc("GET /ws", s.handleSocket)
	mux.HandleFunc("GET /book", s.handleWholeBook)
	mux.HandleFunc("GET /{$}", s.handlePage)
	mux.HandleFunc("GET /{slug}", s.handlePage)
	return s.hostGuard(mux)
}

// shutdown ends every session (and so every run) and waits until all are reaped.
func (s *site) shutdown() {
	s.cancel(run.ErrShutdown)
	s.sessions.shutdown()
	s.runner.Wait()
}

// findRoot is dir, or the nearest directory above the current one holding go.mod and
// chapters/.
func findRoot(dir string) (string, error) {
	if dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isRoot(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no repository (go.mod and chapters/) above %s; use -root", wd)
		}
	}
}

func isRoot(d string) bool {
	_, errMod := os.Stat(filepath.Join(d, "go.mod"))
	info, errCh := os.Stat(filepath.Join(d, "chapters"))
	return errMod == nil && errCh == nil && info.IsDir()
}
