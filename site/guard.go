package main

import (
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The site starts servers on the reader's machine, so it must answer only the reader's own
// browser, on the reader's own page.
//
// DNS rebinding: a hostile page can make its own name resolve to 127.0.0.1 and then talk to
// the site as a same-origin page. Its requests still carry its own name in Host, so every
// request whose Host is not one of the site's own names gets 403.
//
// Cross-site websockets: browsers do not apply the same-origin policy to websockets, but
// they always send Origin. The upgrade is refused unless Origin is the site itself; a
// missing Origin (not a browser, or a stripped one) is refused too.

// allowedHosts are the Host values that name this site: its listening address and, when
// that is a loopback address, the usual loopback names with the same port.
func allowedHosts(listen net.Addr) map[string]bool {
	hosts := map[string]bool{}
	tcp, ok := listen.(*net.TCPAddr)
	if !ok {
		return hosts
	}
	port := tcp.AddrPort().Port()
	add := func(host string) { hosts[strings.ToLower(net.JoinHostPort(host, strconv.Itoa(int(port))))] = true }
	add(tcp.IP.String())
	if tcp.IP.IsLoopback() {
		add("localhost")
		add("127.0.0.1")
		add("::1")
	}
	return hosts
}

// pagePolicy keeps the page to itself: scripts, styles and sockets from the site only, no
// framing by another page, no referrer leaking the reader's local address.
const pagePolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// hostGuard refuses a request whose Host is not the site's own, and sets the page's policy
// on every answer.
func (s *site) hostGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hosts[strings.ToLower(r.Host)] {
			http.Error(w, "403 forbidden: this site answers only to its own address", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Set("Content-Security-Policy", pagePolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

// sameOrigin accepts a websocket upgrade only from a page of this site.
func (s *site) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "http" {
		return false
	}
	return s.hosts[strings.ToLower(u.Host)] && strings.EqualFold(u.Host, r.Host)
}
