package mockserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Endpoint names, as Call.Endpoint reports them (and the admin API's
// ?endpoint= filter takes them). FailNextAt takes introspect, revoke,
// token and authorize.
const (
	EndpointIntrospect = "introspect" // POST /introspect (RFC 7662)
	EndpointRevoke     = "revoke"     // POST /revoke (RFC 7009)
	EndpointToken      = "token"      // POST /token
	EndpointAuthorize  = "authorize"  // GET and POST /authorize (RFC 6749 §4.1)
	EndpointUserinfo   = "userinfo"   // GET and POST /userinfo (OpenID Connect Core §5.3)
	EndpointLogout     = "logout"     // GET and POST /logout (OpenID Connect RP-Initiated Logout)
	EndpointDiscovery  = "discovery"  // the /.well-known/ metadata documents
	EndpointJWKS       = "jwks"       // GET /jwks
	EndpointHealth     = "healthz"    // GET /healthz
	EndpointOther      = "other"      // no route matched
)

// CheckEndpoint reports an error unless name is one of the Endpoint* names,
// so that a journal filter with a misspelt endpoint fails instead of
// matching nothing.
func CheckEndpoint(name string) error {
	switch name {
	case EndpointIntrospect, EndpointRevoke, EndpointToken, EndpointAuthorize, EndpointUserinfo,
		EndpointLogout, EndpointDiscovery, EndpointJWKS, EndpointHealth, EndpointOther:
		return nil
	}
	return fmt.Errorf("unknown endpoint %s (want %s, %s, %s, %s, %s, %s, %s, %s, %s or %s)", quote(name),
		EndpointIntrospect, EndpointRevoke, EndpointToken, EndpointAuthorize, EndpointUserinfo,
		EndpointLogout, EndpointDiscovery, EndpointJWKS, EndpointHealth, EndpointOther)
}

// call is what the server records of one request while serving it; record
// turns it into the journal's Call. Secrets are never part of it.
type call struct {
	time       time.Time  // by the namespace clock, when the request arrived
	endpoint   string     // one of the Endpoint* names
	clientID   string     // who the caller was or claimed to be
	authMethod authMethod // how it authenticated (or tried to)
	token      string     // the token parameter, "" if none
	hint       string     // token_type_hint, "" if none
	status     int        // HTTP status answered; 0 for none
	active     bool       // an introspection answered active:true
	fault      string     // the fault played, "" for none
	why        string     // why an introspection answered inactive, "" otherwise
}

// handlerFunc is an endpoint handler: it gets the namespace resolved from
// the request and fills in the call as it goes; every write goes through
// writeJSON, writeHeader or writeError, which set c.status.
type handlerFunc func(ns *Namespace, w http.ResponseWriter, r *http.Request, c *call)

// record is the one hook every finished call goes through: it logs the
// call (no token, no secret, no query) and adds it to the namespace's
// journal.
func (s *Server) record(ctx context.Context, ns *Namespace, c *call) {
	if s.cfg.logger.Enabled(ctx, slog.LevelDebug) {
		attrs := []slog.Attr{
			slog.String("namespace", ns.name),
			slog.String("endpoint", c.endpoint),
			slog.Int("status", c.status),
			slog.String("client_id", clip(c.clientID, maxJournalField)),
			slog.String("auth", string(c.authMethod)),
			slog.String("hint", clip(c.hint, 64)),
			slog.Bool("token_sent", c.token != ""),
		}
		if c.endpoint == EndpointIntrospect {
			attrs = append(attrs, slog.Bool("active", c.active))
		}
		if c.fault != "" {
			attrs = append(attrs, slog.String("fault", c.fault))
		}
		s.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "call", attrs...)
	}
	if ns.journal.enabled() {
		ns.journal.add(Call{
			Time:          c.time,
			Namespace:     ns.name,
			Endpoint:      c.endpoint,
			ClientID:      clip(c.clientID, maxJournalField),
			AuthMethod:    string(c.authMethod),
			Token:         RedactedToken(clip(c.token, maxJournalToken)),
			TokenTypeHint: clip(c.hint, maxJournalField),
			Status:        c.status,
			Active:        c.active,
			Fault:         c.fault,
			Why:           c.why,
		})
	}
}
