package mockserver

import (
	"net"
	"net/http"
	"strings"
)

// This file keeps web pages away from the admin API, which can change
// every answer the server gives. It depends on nothing else in the package,
// so the guard can be mounted around any admin router.

// adminGuard returns the middleware that protects the admin API:
//
//   - http.CrossOriginProtection refuses a state-changing request that a
//     browser marks cross-site (Sec-Fetch-Site) or whose Origin does not
//     match its Host, so that a page on another site cannot drive the API.
//     Clients that send neither header (curl, Go, testkit) pass.
//   - A request without the valid admin token (authorized reports it) must
//     name a Host that adminHostAllowed accepts (extraHosts adds names), so
//     that a DNS-rebinding page cannot read tokens or the journal.
//
// deny answers each refusal (the caller's 403 in its JSON error form);
// desc says why.
func adminGuard(extraHosts []string, authorized func(*http.Request) bool,
	deny func(w http.ResponseWriter, r *http.Request, desc string)) func(http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deny(w, r, "cross-origin request refused: the admin API does not take requests from other sites' pages")
	}))
	hosts := make(map[string]bool, len(extraHosts))
	for _, h := range extraHosts {
		hosts[canonicalHost(h)] = true
	}
	return func(next http.Handler) http.Handler {
		hostChecked := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !authorized(r) && !adminHostAllowed(r.Host, hosts) {
				host := r.Host
				if len(host) > 80 {
					host = host[:80] + "..."
				}
				deny(w, r, "host "+host+" refused: the admin API without its admin token answers only IP addresses, "+
					"localhost, *.localhost and single-label names; add this one with --admin-hosts (INTROSPECTMOCK_ADMIN_HOSTS)")
				return
			}
			next.ServeHTTP(w, r)
		})
		return cop.Handler(hostChecked)
	}
}

// adminHostAllowed reports whether a request's Host (with or without a
// port) may reach the admin API without its token: an IP literal (v4 or
// v6), localhost or a *.localhost name (RFC 6761 §6.3), a single-label
// name (a compose service such as "introspectmock"), or one of extra
// (canonicalHost names). No Host at all passes: no browser sends that.
func adminHostAllowed(host string, extra map[string]bool) bool {
	if host == "" {
		return true
	}
	h := canonicalHost(host)
	if h == "" {
		return false
	}
	if strings.HasPrefix(h, "[") { // a bracketed IPv6 literal without a port
		h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
		return net.ParseIP(h) != nil
	}
	switch {
	case net.ParseIP(h) != nil,
		h == "localhost", strings.HasSuffix(h, ".localhost"),
		!strings.Contains(h, "."),
		extra[h]:
		return true
	}
	return false
}

// canonicalHost returns host without its port and final dot, in lower
// case: "API.example.com.:8080" is "api.example.com".
func canonicalHost(host string) string {
	host = strings.TrimSpace(host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
		if strings.Contains(h, ":") { // IPv6: keep it recognisable
			return h
		}
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// validHostName reports whether host (a port and a final dot allowed) is
// an IP address or a DNS name: dot-separated labels of 1 to 63 letters,
// digits, '-' and '_' (compose service names may hold one).
func validHostName(host string) bool {
	if _, port, err := net.SplitHostPort(host); err == nil && strings.Trim(port, "0123456789") != "" {
		return false // "http://name" splits as host "http", port "//name"
	}
	h := canonicalHost(host)
	if ip := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"); net.ParseIP(ip) != nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' && r != '_' {
				return false
			}
		}
	}
	return true
}
