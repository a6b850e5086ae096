package mockserver

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/introspectmock/introspectmock/fixtures"
)

// user is a person who logs in at the authorization endpoint, built from
// a fixtures.User. It is never modified once in a state.
type user struct {
	sub      string
	username string
	password string
	claims   map[string]any // extension members; none registered
	def      bool
}

// newUser checks a fixture user and converts it.
func newUser(fu *fixtures.User) (*user, error) {
	if err := fixtures.CheckSubject(fu.Sub); err != nil {
		return nil, err
	}
	claims := withoutNullClaims(fu.Claims)
	if err := checkUserClaims(claims); err != nil {
		return nil, err
	}
	return &user{sub: fu.Sub, username: fu.Username, password: fu.Password, claims: claims, def: fu.Default}, nil
}

// checkUserClaims refuses claims a token answer could not carry: ones
// that shadow a registered member, and an empty name.
func checkUserClaims(claims map[string]any) error {
	for _, name := range slices.Sorted(maps.Keys(claims)) {
		switch {
		case name == "":
			return fmt.Errorf("claim with an empty name")
		case isRegistered(name) || fixtures.IsIDTokenMember(name):
			return fmt.Errorf("claim %q shadows a registered member", name)
		}
	}
	return nil
}

// addUser registers u in st, whose user maps must not be shared yet. A sub
// or username already known, or a second default user, is ErrExists.
func (st *state) addUser(u *user) error {
	if st.users[u.sub] != nil {
		return fmt.Errorf("user sub %q %w", u.sub, ErrExists)
	}
	if u.username != "" && st.usernames[u.username] != nil {
		return fmt.Errorf("username %q %w", u.username, ErrExists)
	}
	if u.def && st.defaultUser != nil {
		return fmt.Errorf("default user %w (%q): at most one user is the default", ErrExists, st.defaultUser.sub)
	}
	st.users[u.sub] = u
	if u.username != "" {
		st.usernames[u.username] = u
	}
	if u.def {
		st.defaultUser = u
	}
	st.userList = append(st.userList, u)
	return nil
}

// findUser returns the user whose sub or username is who; nil for none.
func (st *state) findUser(who string) *user {
	if u := st.users[who]; u != nil {
		return u
	}
	return st.usernames[who]
}

// AddUser adds a user to the namespace, as the fixtures' users: key does.
// A sub or username already there, or a second default user, is an error
// wrapping ErrExists; so is a claim that shadows a registered member.
func (ns *Namespace) AddUser(u fixtures.User) error {
	nu, err := newUser(&u)
	if err != nil {
		return fmt.Errorf("AddUser: %w", err)
	}
	if err := ns.updateState(func(st *state) error { return st.addUser(nu) }); err != nil {
		return fmt.Errorf("AddUser: %w", err)
	}
	return nil
}

// updateState publishes a copy of the namespace's state that change
// changed; nothing changes when it fails. The published state is
// immutable: change gets copies of its maps and slices to add to.
func (ns *Namespace) updateState(change func(st *state) error) error {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	st := *ns.st.Load()
	st.clients, st.users, st.usernames = maps.Clone(st.clients), maps.Clone(st.users), maps.Clone(st.usernames)
	st.bearers, st.userList = slices.Clip(st.bearers), slices.Clip(st.userList)
	if err := change(&st); err != nil {
		return err
	}
	ns.st.Store(&st)
	return nil
}

// Users returns the namespace's users in the order they were added
// (fixtures first). Passwords are included: they are test data. The error
// is always nil; it is there for the interface Namespace shares with the
// admin API's client.
func (ns *Namespace) Users() ([]fixtures.User, error) {
	st := ns.state()
	out := make([]fixtures.User, 0, len(st.userList))
	for _, u := range st.userList {
		out = append(out, fixtures.User{Sub: u.sub, Username: u.username, Password: u.password,
			Claims: maps.Clone(u.claims), Default: u.def})
	}
	return out, nil
}

// SetNextLogin makes the next authorization request of the namespace that
// names nobody (no login_hint) log in as who, a user's sub or username;
// it applies once. "" cancels it. An unknown user is an error wrapping
// ErrNotFound.
func (ns *Namespace) SetNextLogin(who string) error {
	if who == "" {
		ns.nextLogin.Store(nil)
		return nil
	}
	if ns.state().findUser(who) == nil {
		return fmt.Errorf("SetNextLogin: user %q %w", who, ErrNotFound)
	}
	ns.nextLogin.Store(&who)
	return nil
}

// pickUser chooses who logs in at an authorization request: the user
// login_hint names (a username or sub), else the next login (used up),
// else the default user. why says what went wrong when it returns nil.
func (ns *Namespace) pickUser(st *state, loginHint string) (u *user, why string) {
	if loginHint != "" {
		if u = st.findUser(strings.TrimSpace(loginHint)); u == nil {
			return nil, "no user has the username or sub login_hint names"
		}
		return u, ""
	}
	if next := ns.nextLogin.Swap(nil); next != nil {
		if u = st.findUser(*next); u != nil {
			return u, ""
		}
	}
	if st.defaultUser != nil {
		return st.defaultUser, ""
	}
	if len(st.userList) == 1 {
		return st.userList[0], ""
	}
	if len(st.userList) == 0 {
		return nil, "the server has no users (fixtures users:, AddUser or POST /admin/users)"
	}
	return nil, "no login_hint, no next login and no default user: say who logs in"
}
