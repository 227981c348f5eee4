package devdb

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
	"path/filepath"
	"time"
)

// Certs are throwaway PEM files for a private server with TLS: a CA and a
// server certificate it signed, valid for 127.0.0.1, ::1 and localhost.
type Certs struct {
	// CA, ServerCert and ServerKey are the paths of the PEM files.
	CA, ServerCert, ServerKey string
	// Pool holds the CA certificate, for a client's tls.Config.RootCAs.
	Pool *x509.CertPool
}

// NewCerts writes a new CA (ECDSA P-256, valid for a day) and a server
// certificate and key signed by it into dir as ca.pem, server-cert.pem
// and server-key.pem. name prefixes the certificates' common names.
func NewCerts(dir, name string) (*Certs, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("devdb: CA key: %w", err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name + " test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("devdb: CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("devdb: CA certificate: %w", err)
	}
	srvKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("devdb: server key: %w", err)
	}
	srvTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name + " test server"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:     []string{"localhost"},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srvTmpl, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("devdb: server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(srvKey)
	if err != nil {
		return nil, fmt.Errorf("devdb: server key: %w", err)
	}
	c := &Certs{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server-cert.pem"),
		ServerKey:  filepath.Join(dir, "server-key.pem"),
		Pool:       x509.NewCertPool(),
	}
	c.Pool.AddCert(caCert)
	for _, f := range []struct {
		path, kind string
		der        []byte
	}{{c.CA, "CERTIFICATE", caDER}, {c.ServerCert, "CERTIFICATE", srvDER}, {c.ServerKey, "PRIVATE KEY", keyDER}} {
		data := pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.der})
		if err := os.WriteFile(f.path, data, 0o600); err != nil {
			return nil, fmt.Errorf("devdb: %w", err)
		}
	}
	return c, nil
}

// ClientTLS returns a client configuration that verifies the server
// certificate of c for 127.0.0.1.
func (c *Certs) ClientTLS() *tls.Config {
	return &tls.Config{RootCAs: c.Pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// args are the mariadbd options that enable TLS with c.
func (c *Certs) args() []string {
	return []string{"--ssl-ca=" + c.CA, "--ssl-cert=" + c.ServerCert, "--ssl-key=" + c.ServerKey}
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}
