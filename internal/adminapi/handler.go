package adminapi

import (
	"errors"
	"net/http"

	"github.com/introspectmock/introspectmock/fixtures"
	"github.com/introspectmock/introspectmock/mockserver"
)

// Handler returns srv's routes with the admin API: what cmd/introspectmock
// serves with --admin and testkit's in-process servers. The admin token,
// if any, is srv's (mockserver.WithAdminToken).
func Handler(srv *mockserver.Server) http.Handler {
	return srv.Handler(admin{})
}

// admin implements mockserver.Admin: each method reads its request in the
// wire format, calls the Namespace or Server API and returns the answer.
type admin struct{}

var _ mockserver.Admin = admin{}

// ok is the answer of a route that answers 204.
func ok(err error) (int, any, error) { return 0, nil, err }

// notFound is a 404 whose description is msg.
type notFound string

func (e notFound) Error() string { return string(e) }
func (e notFound) Unwrap() error { return mockserver.ErrNotFound }

// errNoToken is what the token routes say of an unknown token.
func errNoToken(err error) error {
	if errors.Is(err, mockserver.ErrNotFound) {
		return notFound("no such token")
	}
	return err
}

// ListTokens handles "GET /admin/tokens".
func (admin) ListTokens(r mockserver.AdminRequest) (int, any, error) {
	infos, err := r.NS.Tokens()
	if err != nil {
		return 0, nil, err
	}
	out := Tokens{Tokens: make([]TokenInfo, 0, len(infos))}
	for _, ti := range infos {
		out.Tokens = append(out.Tokens, NewTokenInfo(ti))
	}
	return http.StatusOK, out, nil
}

// AddToken handles "POST /admin/tokens": one token in fixture format; no
// token member makes a random token. 201 {"token":"…"}.
func (admin) AddToken(r mockserver.AdminRequest) (int, any, error) {
	now, err := r.NS.ReadClock()
	if err != nil {
		return 0, nil, err
	}
	ft, err := fixtures.ParseToken(now.Now, "body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	tok, err := r.NS.AddToken(mockserver.TokenFromFixture(ft, now.Now))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, Created{Token: tok}, nil
}

// GetToken handles "GET /admin/tokens/{token}".
func (admin) GetToken(r mockserver.AdminRequest) (int, any, error) {
	ti, err := r.NS.Lookup(r.Token)
	if err != nil {
		return 0, nil, errNoToken(err)
	}
	return http.StatusOK, NewTokenInfo(ti), nil
}

// RemoveToken handles "DELETE /admin/tokens/{token}".
func (admin) RemoveToken(r mockserver.AdminRequest) (int, any, error) {
	return ok(errNoToken(r.NS.Remove(r.Token)))
}

// RevokeToken handles "POST /admin/tokens/{token}/revoke".
func (admin) RevokeToken(r mockserver.AdminRequest) (int, any, error) {
	return ok(errNoToken(r.NS.Revoke(r.Token)))
}

// RevokeBy handles "POST /admin/revoke": {"sub":"…"} or {"client_id":"…"}
// revokes every token of that subject or client. 200 {"revoked":N}.
func (admin) RevokeBy(r mockserver.AdminRequest) (int, any, error) {
	by, err := fixtures.ParseRevokeBy("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	var n int
	if by.Sub != "" {
		n, err = r.NS.RevokeSubject(by.Sub)
	} else {
		n, err = r.NS.RevokeClient(by.ClientID)
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, Revoked{Revoked: n}, nil
}

// ExpireToken handles "POST /admin/tokens/{token}/expire".
func (admin) ExpireToken(r mockserver.AdminRequest) (int, any, error) {
	return ok(errNoToken(r.NS.Expire(r.Token)))
}

// SetScript handles "PUT /admin/tokens/{token}/script": {"script":[…]}.
func (admin) SetScript(r mockserver.AdminRequest) (int, any, error) {
	steps, err := fixtures.ParseSteps("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	return ok(errNoToken(r.NS.SetScript(r.Token, mockserver.StepsFromFixtures(steps))))
}

// AddClient handles "POST /admin/clients": one client in fixture format.
// 201 {"client_id":"…"}; 409 when the client_id or bearer exists.
func (admin) AddClient(r mockserver.AdminRequest) (int, any, error) {
	c, err := fixtures.ParseClient("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	if err := r.NS.AddClient(c); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, Created{ClientID: c.ClientID}, nil
}

// ListUsers handles "GET /admin/users": {"users":[…]} in the order they
// were added.
func (admin) ListUsers(r mockserver.AdminRequest) (int, any, error) {
	users, err := r.NS.Users()
	if err != nil {
		return 0, nil, err
	}
	out := Users{Users: []User{}}
	for _, u := range users {
		out.Users = append(out.Users, NewUser(u))
	}
	return http.StatusOK, out, nil
}

// AddUser handles "POST /admin/users": one user in fixture format.
// 201 {"sub":"…"}; 409 when the sub or username exists, or for a second
// default user.
func (admin) AddUser(r mockserver.AdminRequest) (int, any, error) {
	u, err := fixtures.ParseUser("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	if err := r.NS.AddUser(u); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, Created{Sub: u.Sub}, nil
}

// SetNextLogin handles "PUT /admin/next-login": {"user":"bob"} (a sub or
// username) logs the next authorization request that names nobody in as
// that user; 404 for an unknown user.
func (admin) SetNextLogin(r mockserver.AdminRequest) (int, any, error) {
	who, err := fixtures.ParseNextLogin("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	if err := r.NS.SetNextLogin(who); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, NextLogin{User: who}, nil
}

// ClearNextLogin handles "DELETE /admin/next-login".
func (admin) ClearNextLogin(r mockserver.AdminRequest) (int, any, error) {
	return ok(r.NS.SetNextLogin(""))
}

// ReadClock handles "GET /admin/clock" and ends the clock actions.
func (admin) ReadClock(r mockserver.AdminRequest) (int, any, error) {
	c, err := r.NS.ReadClock()
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, Clock{Now: c.Now.UTC(), Frozen: c.Frozen}, nil
}

// FreezeClock handles "POST /admin/clock/freeze".
func (a admin) FreezeClock(r mockserver.AdminRequest) (int, any, error) {
	if err := r.NS.FreezeClock(); err != nil {
		return 0, nil, err
	}
	return a.ReadClock(r)
}

// ResumeClock handles "POST /admin/clock/resume".
func (a admin) ResumeClock(r mockserver.AdminRequest) (int, any, error) {
	if err := r.NS.ResumeClock(); err != nil {
		return 0, nil, err
	}
	return a.ReadClock(r)
}

// AdvanceClock handles "POST /admin/clock/advance": {"by":"2h"}.
func (a admin) AdvanceClock(r mockserver.AdminRequest) (int, any, error) {
	now, err := r.NS.ReadClock()
	if err != nil {
		return 0, nil, err
	}
	d, err := fixtures.ParseClockAdvance(now.Now, "body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	if err := r.NS.AdvanceClock(d); err != nil {
		return 0, nil, err
	}
	return a.ReadClock(r)
}

// SetClock handles "POST /admin/clock/set": {"time":"2030-01-02T15:04:05Z"}.
func (a admin) SetClock(r mockserver.AdminRequest) (int, any, error) {
	t, err := fixtures.ParseClockSet("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	if err := r.NS.SetClock(t); err != nil {
		return 0, nil, err
	}
	return a.ReadClock(r)
}

// ListCalls handles "GET /admin/calls[?endpoint=…&token=…]". Tokens go
// out raw: the admin API is the test's own view of the journal.
func (admin) ListCalls(r mockserver.AdminRequest) (int, any, error) {
	q := func(k string) string {
		if v := r.Query[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	endpoint, tok := q("endpoint"), q("token")
	if endpoint != "" {
		if err := mockserver.CheckEndpoint(endpoint); err != nil {
			return 0, nil, err
		}
	}
	calls, err := r.NS.Calls()
	if err != nil {
		return 0, nil, err
	}
	out := Calls{Calls: make([]Call, 0, len(calls))}
	for _, c := range calls {
		if (endpoint == "" || c.Endpoint == endpoint) && (tok == "" || c.Token.Raw() == tok) {
			out.Calls = append(out.Calls, NewCall(c))
		}
	}
	return http.StatusOK, out, nil
}

// ClearCalls handles "DELETE /admin/calls".
func (admin) ClearCalls(r mockserver.AdminRequest) (int, any, error) {
	return ok(r.NS.ClearCalls())
}

// ReadJournal handles "GET /admin/journal" and ends "PUT /admin/journal".
func (admin) ReadJournal(r mockserver.AdminRequest) (int, any, error) {
	j := r.NS.Journal()
	return http.StatusOK, Journal{Size: &j.Size, Kept: j.Kept}, nil
}

// SetJournal handles "PUT /admin/journal": {"size":N} keeps the latest N
// calls from now on (0 none), dropping the oldest beyond N.
func (a admin) SetJournal(r mockserver.AdminRequest) (int, any, error) {
	n, err := fixtures.ParseJournalSize("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	if err := r.NS.SetJournalSize(n); err != nil {
		return 0, nil, err
	}
	return a.ReadJournal(r)
}

// FailNext handles "POST /admin/faults":
// {"count":2,"respond":{…},"endpoint":"revoke"}; endpoint defaults to
// introspect, and a count of 0 cancels that endpoint's faults.
func (admin) FailNext(r mockserver.AdminRequest) (int, any, error) {
	o, err := fixtures.ParseFaultOrder("body", r.Body)
	if err != nil {
		return 0, nil, err
	}
	if o.Endpoint == "" {
		o.Endpoint = mockserver.EndpointIntrospect
	}
	return ok(r.NS.FailNextAt(o.Endpoint, o.Count, o.Respond))
}

// ClearFaults handles "DELETE /admin/faults".
func (admin) ClearFaults(r mockserver.AdminRequest) (int, any, error) {
	return ok(r.NS.ClearFaults())
}

// Reset handles "POST /admin/reset".
func (admin) Reset(r mockserver.AdminRequest) (int, any, error) {
	return ok(r.NS.Reset())
}

// ListNamespaces handles "GET /admin/namespaces".
func (admin) ListNamespaces(r mockserver.AdminRequest) (int, any, error) {
	return http.StatusOK, Namespaces{Namespaces: r.Server.Namespaces()}, nil
}

// GetNamespace handles "GET /admin/namespaces/{name}".
func (admin) GetNamespace(r mockserver.AdminRequest) (int, any, error) {
	if _, err := r.Server.LookupNamespace(r.Name); err != nil || r.Name == "" {
		return 0, nil, notFound("no such namespace")
	}
	return http.StatusOK, Namespace{Namespace: r.Name}, nil
}

// PutNamespace handles "PUT /admin/namespaces/{name}": 201 when made, 200
// when it existed.
func (admin) PutNamespace(r mockserver.AdminRequest) (int, any, error) {
	_, created, err := r.Server.CreateNamespace(r.Name)
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return status, Namespace{Namespace: r.Name}, nil
}

// DeleteNamespace handles "DELETE /admin/namespaces/{name}".
func (admin) DeleteNamespace(r mockserver.AdminRequest) (int, any, error) {
	if err := r.Server.DeleteNamespace(r.Name); err != nil {
		return 0, nil, notFound("no such namespace")
	}
	return ok(nil)
}
