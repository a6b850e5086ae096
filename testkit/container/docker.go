package container

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ory/dockertest/v3"
	dc "github.com/ory/dockertest/v3/docker"
)

// containerPort is the port the image serves on (INTROSPECTMOCK_ADDR).
const containerPort dc.Port = "8080/tcp"

// dockerClient is a connection to a Docker daemon, found as dockertest
// finds it.
type dockerClient struct {
	pool     *dockertest.Pool // for images; its MaxWait is never used nor changed
	endpoint string
	host     string // where published ports are reached
	bindIP   string // HostIP of port bindings ("": all interfaces)

	buildMu sync.Mutex        // serialises image checks and builds in this process
	devRefs map[string]string // devImage's tag per repository, once found; guarded by buildMu
}

// connectDocker connects to the daemon of DOCKER_HOST (or the platform's
// default socket) and pings it.
func connectDocker() (*dockerClient, error) {
	pool, err := dockertest.NewPool("")
	if err != nil {
		return nil, fmt.Errorf("no Docker client: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := pool.Client.PingWithContext(ctx); err != nil {
		return nil, fmt.Errorf("no Docker daemon at %s: %w", pool.Client.Endpoint(), err)
	}
	endpoint := pool.Client.Endpoint()
	host, bindIP := publishHost(endpoint)
	return &dockerClient{pool: pool, endpoint: endpoint, host: host, bindIP: bindIP}, nil
}

// publishHost returns the host at which ports published by the daemon at
// endpoint are reached, and the host IP to bind them to: loopback for a
// local daemon, so nothing is exposed beyond this machine; for a daemon on
// another host (DOCKER_HOST=tcp://build-host:2376) that host, binding all
// of its interfaces.
func publishHost(endpoint string) (host, bindIP string) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "127.0.0.1", "127.0.0.1"
	}
	switch u.Scheme {
	case "tcp", "http", "https":
	default: // unix, npipe
		return "127.0.0.1", "127.0.0.1"
	}
	h := u.Hostname()
	if ip := net.ParseIP(h); h == "" || h == "localhost" || ip != nil && ip.IsLoopback() {
		return "127.0.0.1", "127.0.0.1"
	}
	return h, ""
}

// instance is a running introspectmock container.
type instance struct {
	client     *dc.Client // this container's own: see run
	id         string
	url        string // http://host:port, no trailing slash
	adminToken string

	removeOnce sync.Once
	removeErr  error
}

// start runs a new container of the image for o (see image) holding files
// in /fixtures, and waits until it answers /healthz. On failure the
// container is removed and the error holds its last log lines.
func (d *dockerClient) start(tb testing.TB, o options, files []fixtureFile) (*instance, error) {
	ref, err := d.image(tb, o)
	if err != nil {
		return nil, err
	}
	o.image = ref
	c, err := d.run(o, files)
	if err != nil {
		return nil, err
	}
	tb.Logf("container: started %.12s (%s) at %s", c.id, o.image, c.url)
	return c, nil
}

// run is start with o.image the image to run, without the log line.
func (d *dockerClient) run(o options, files []fixtureFile) (*instance, error) {
	c, err := d.launch(o, files)
	if err != nil {
		return nil, err
	}
	if err := c.waitHealthy(o.startTimeout); err != nil {
		return nil, c.fail(o, err)
	}
	return c, nil
}

// fail removes c and returns err with c's last log lines.
func (c *instance) fail(o options, err error) error {
	err = fmt.Errorf("container %.12s of %s: %w%s", c.id, o.image, err, c.logTail())
	if rmErr := c.remove(); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	return err
}

// launch creates and starts a container and finds its URL; it does not
// wait for the server to answer. On failure the container is removed.
func (d *dockerClient) launch(o options, files []fixtureFile) (*instance, error) {
	token := o.adminToken
	if token == "" {
		token = randomToken()
	}
	// A client per container: go-dockerclient's Client sets its API
	// version on first use without a lock (a data race under -race when
	// containers start concurrently); one goroutine at a time uses this one.
	pool, err := dockertest.NewPool(d.endpoint)
	if err != nil {
		return nil, err
	}
	client := pool.Client
	created, err := client.CreateContainer(dc.CreateContainerOptions{
		Config: &dc.Config{
			Image: o.image,
			Env: []string{
				"INTROSPECTMOCK_ADDR=0.0.0.0:8080",
				"INTROSPECTMOCK_FIXTURES=/fixtures",
				"INTROSPECTMOCK_DEMO_FALLBACK=false",
				"INTROSPECTMOCK_ADMIN=true",
				"INTROSPECTMOCK_ADMIN_TOKEN=" + token,
			},
			Labels:       containerLabels(),
			ExposedPorts: map[dc.Port]struct{}{containerPort: {}},
		},
		HostConfig: &dc.HostConfig{
			// HostPort "": a random free port.
			PortBindings: map[dc.Port][]dc.PortBinding{containerPort: {{HostIP: d.bindIP}}},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("create container of %s: %w", o.image, err)
	}
	c := &instance{client: client, id: created.ID, adminToken: token}
	fail := func(err error) (*instance, error) { return nil, c.fail(o, err) }

	// Copied in, not bind-mounted: this works with a remote daemon too,
	// and the files are readable by the image's non-root user.
	if err := client.UploadToContainer(c.id, dc.UploadToContainerOptions{
		InputStream: bytes.NewReader(fixturesTar(files)),
		Path:        "/",
	}); err != nil {
		return fail(fmt.Errorf("copy fixtures: %w", err))
	}
	if err := client.StartContainer(c.id, nil); err != nil {
		return fail(fmt.Errorf("start: %w", err))
	}
	info, err := client.InspectContainer(c.id)
	if err != nil {
		return fail(fmt.Errorf("inspect: %w", err))
	}
	if !info.State.Running {
		return fail(fmt.Errorf("container exited (%s)", info.State.String()))
	}
	var port string
	if info.NetworkSettings != nil {
		for _, b := range info.NetworkSettings.Ports[containerPort] {
			if b.HostPort != "" {
				port = b.HostPort
				break
			}
		}
	}
	if port == "" {
		return fail(fmt.Errorf("port %s is not published (state %s)", containerPort, info.State.String()))
	}
	c.url = "http://" + net.JoinHostPort(d.host, port)
	return c, nil
}

// waitHealthy polls /healthz until it answers 200, the container stops
// running, or timeout passes. It polls every 20ms rather than with
// dockertest's Pool.Retry, whose exponential backoff starts at 500ms and so
// would make a container that is up in 100ms look five times slower.
func (c *instance) waitHealthy(timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		err := c.healthz(ctx, client)
		if err == nil {
			return nil
		}
		if i%10 == 0 { // every 200ms: give up at once if it exited
			if rerr := c.running(); rerr != nil {
				return rerr
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy within %v: GET /healthz: %w", timeout, err)
		case <-tick.C:
		}
	}
}

func (c *instance) healthz(ctx context.Context, client *http.Client) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// running returns an error if the container is not running.
func (c *instance) running() error {
	info, err := c.client.InspectContainer(c.id)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	if !info.State.Running {
		return fmt.Errorf("container exited (%s)", info.State.String())
	}
	return nil
}

// logLines is how many of a failed container's last log lines an error
// shows.
const logLines = 30

// logTail returns the container's last log lines as text to append to an
// error message (starting with a newline), or why there are none.
func (c *instance) logTail() string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var buf bytes.Buffer
	err := c.client.Logs(dc.LogsOptions{
		Context:      ctx,
		Container:    c.id,
		OutputStream: &buf,
		ErrorStream:  &buf,
		Stdout:       true,
		Stderr:       true,
		Tail:         fmt.Sprint(logLines),
	})
	if err != nil {
		return fmt.Sprintf("\n(container log unavailable: %v)", err)
	}
	text := strings.TrimRight(buf.String(), "\n")
	if text == "" {
		return "\n(container log is empty)"
	}
	return fmt.Sprintf("\nlast %d container log lines:\n\t%s", logLines, strings.ReplaceAll(text, "\n", "\n\t"))
}

// remove force-removes the container; later calls return the first
// result. A container already gone is no error.
func (c *instance) remove() error {
	c.removeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err := c.client.RemoveContainer(dc.RemoveContainerOptions{
			ID: c.id, Force: true, RemoveVolumes: true, Context: ctx,
		})
		var missing *dc.NoSuchContainer
		if err != nil && !errors.As(err, &missing) {
			c.removeErr = fmt.Errorf("remove container %.12s: %w", c.id, err)
		}
	})
	return c.removeErr
}

// createNamespace creates namespace name through the admin API; it must
// not exist yet.
func (c *instance) createNamespace(ctx context.Context, name string) error {
	status, body, err := c.admin(ctx, http.MethodPut, "/admin/namespaces/"+name)
	switch {
	case err != nil:
		return fmt.Errorf("create namespace %s: %w", name, err)
	case status == http.StatusOK:
		return fmt.Errorf("create namespace %s: it already exists", name)
	case status != http.StatusCreated:
		return fmt.Errorf("create namespace %s: %d %s", name, status, body)
	}
	return nil
}

// deleteNamespace deletes namespace name through the admin API.
func (c *instance) deleteNamespace(ctx context.Context, name string) error {
	status, body, err := c.admin(ctx, http.MethodDelete, "/admin/namespaces/"+name)
	switch {
	case err != nil:
		return fmt.Errorf("delete namespace %s: %w", name, err)
	case status != http.StatusNoContent:
		return fmt.Errorf("delete namespace %s: %d %s", name, status, body)
	}
	return nil
}

// admin sends one body-less admin API request and returns the status and
// up to 4 KiB of the body.
func (c *instance) admin(ctx context.Context, method, path string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.url+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Authorization", "Bearer "+c.adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, strings.TrimSpace(string(body)), nil
}

// containerLabels returns the labels of a container this process starts:
// Label, and which test process started it, to tell a leftover's origin
// (e.g. after a test binary was killed by -timeout) from the containers of
// tests still running.
func containerLabels() map[string]string {
	labels := map[string]string{Label: "1", Label + ".pid": fmt.Sprint(os.Getpid())}
	if dir, err := os.Getwd(); err == nil { // go test runs a test in its package's directory
		labels[Label+".dir"] = dir
	}
	return labels
}

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}
