package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"
)

// certLifetime is how long the self-signed certificates are valid.
const certLifetime = 7 * 24 * time.Hour

// tlsConfig returns the server's TLS configuration (TLS 1.2 or later):
// the certificate of --tls-cert/--tls-key, or for --tls a certificate made
// now and signed by a CA made now, whose PEM goes to --tls-ca-out if set.
func tlsConfig(cfg *serveConfig) (*tls.Config, error) {
	var cert tls.Certificate
	if cfg.tlsCert != "" {
		c, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
		cert = c
	} else {
		host, _, err := net.SplitHostPort(cfg.addr)
		if err != nil {
			return nil, fmt.Errorf("--addr %q: %w", cfg.addr, err)
		}
		c, caPEM, err := selfSigned(time.Now(), host)
		if err != nil {
			return nil, fmt.Errorf("tls: make certificate: %w", err)
		}
		if cfg.tlsCAOut != "" {
			if err := os.WriteFile(cfg.tlsCAOut, caPEM, 0o644); err != nil {
				return nil, fmt.Errorf("tls: write CA: %w", err)
			}
		}
		cert = c
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
	}, nil
}

// selfSigned makes an ECDSA P-256 CA and a server certificate signed by it
// for 127.0.0.1, ::1, localhost and host (unless host is empty or a
// wildcard address). It returns the server certificate and
// the CA certificate in PEM.
func selfSigned(now time.Time, host string) (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caSerial, err := serial()
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          caSerial,
		Subject:               pkix.Name{CommonName: "introspectmock test CA", Organization: []string{"introspectmock"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafSerial, err := serial()
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: leafSerial,
		Subject:      pkix.Name{CommonName: "introspectmock", Organization: []string{"introspectmock"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	switch ip := net.ParseIP(host); {
	case host == "" || host == "localhost":
	case ip == nil:
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	case ip.IsUnspecified() || ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback):
	default:
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

// serial returns a random 128-bit certificate serial number.
func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}
