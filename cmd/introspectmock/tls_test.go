package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// trusting returns a client that trusts only the PEM CA in file.
func trusting(t *testing.T, file string) *http.Client {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		t.Fatalf("%s holds no PEM certificate:\n%s", file, data)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func TestTLS(t *testing.T) {
	t.Run("IQ-8/self-signed with CA out", func(t *testing.T) {
		caFile := filepath.Join(t.TempDir(), "ca.pem")
		in := start(t, []string{"--addr", "127.0.0.1:0", "--tls", "--tls-ca-out", caFile}, nil)
		if !strings.HasPrefix(in.url, "https://") {
			t.Fatalf("url = %q; want https", in.url)
		}
		client := trusting(t, caFile)
		if active, body := introspect(t, client, in.url, "demo-rs", "demo-secret", "demo-active"); !active {
			t.Errorf("introspection over TLS: %s", body)
		}
		if !strings.Contains(in.stdout.String(), "curl --cacert "+caFile+" ") {
			t.Errorf("demo curl lines do not trust the CA file:\n%s", in.stdout)
		}

		// The certificate also serves localhost and ::1.
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(in.url, "https://"))
		if status, body := get(t, client, "https://localhost:"+port+"/healthz"); status != http.StatusOK {
			t.Errorf("GET https://localhost:%s/healthz = %d %s", port, status, body)
		}

		// TLS 1.1 and older are refused.
		conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{MaxVersion: tls.VersionTLS11, InsecureSkipVerify: true})
		if err == nil {
			conn.Close()
			t.Error("TLS 1.1 handshake succeeded; want TLS 1.2 minimum")
		}

		// A plain-HTTP request to the TLS port gets no answer from the mock.
		if resp, err := http.Get("http://127.0.0.1:" + port + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				t.Error("plain HTTP got 200 from the TLS port")
			}
		}

		var stdout, stderr bytes.Buffer
		err = run(t.Context(), []string{"healthcheck", "--tls", "--addr", "127.0.0.1:" + port}, envMap(nil), &stdout, &stderr)
		if err != nil {
			t.Errorf("healthcheck --tls: %v", err)
		}
	})

	t.Run("IQ-8/own certificate", func(t *testing.T) {
		dir := t.TempDir()
		cert, caPEM, err := selfSigned(time.Now(), "")
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		files := map[string][]byte{
			"ca.pem":   caPEM,
			"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
			"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		in := start(t, []string{"--addr", "127.0.0.1:0"}, map[string]string{
			"INTROSPECTMOCK_TLS_CERT": filepath.Join(dir, "cert.pem"),
			"INTROSPECTMOCK_TLS_KEY":  filepath.Join(dir, "key.pem"),
		})
		client := trusting(t, filepath.Join(dir, "ca.pem"))
		if status, body := post(t, client, in.url+"/introspect", "demo-rs", "demo-secret", url.Values{"token": {"demo-active"}}); status != http.StatusOK {
			t.Errorf("introspection with own certificate = %d %s", status, body)
		}
	})
}

func TestSelfSignedCertificate(t *testing.T) {
	tests := []struct {
		host      string
		wantDNS   []string
		wantExtra string // an IP SAN beyond the loopback ones
	}{
		{host: "", wantDNS: []string{"localhost"}},
		{host: "0.0.0.0", wantDNS: []string{"localhost"}},
		{host: "mock.example.test", wantDNS: []string{"localhost", "mock.example.test"}},
		{host: "10.1.2.3", wantDNS: []string{"localhost"}, wantExtra: "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			cert, caPEM, err := selfSigned(time.Now(), tt.host)
			if err != nil {
				t.Fatal(err)
			}
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(leaf.DNSNames, tt.wantDNS) {
				t.Errorf("DNS SANs = %q; want %q", leaf.DNSNames, tt.wantDNS)
			}
			var ips []string
			for _, ip := range leaf.IPAddresses {
				ips = append(ips, ip.String())
			}
			want := []string{"127.0.0.1", "::1"}
			if tt.wantExtra != "" {
				want = append(want, tt.wantExtra)
			}
			if !slices.Equal(ips, want) {
				t.Errorf("IP SANs = %q; want %q", ips, want)
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(caPEM)
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost"}); err != nil {
				t.Errorf("certificate does not verify against the CA: %v", err)
			}
		})
	}
}
