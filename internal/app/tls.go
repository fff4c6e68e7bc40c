package app

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// TLSConfig is the TLS setting of one listener. Empty: plain HTTP.
type TLSConfig struct {
	// CertFile and KeyFile are the PEM certificate chain and private key.
	// They are read at start and again on the first handshake after
	// either file changed (renamed over, rewritten, or a symbolic link
	// pointed elsewhere): a renewed certificate needs no restart. A
	// change that does not load (e.g. the key half written) keeps the
	// previous certificate and is logged.
	CertFile string
	KeyFile  string
	// ClientCAFile (private listener only) turns on mutual TLS: clients
	// must present a certificate issued by one of the PEM CA certificates
	// in this file, or the handshake fails. Read at start.
	ClientCAFile string
}

// enabled reports whether the listener serves TLS.
func (t TLSConfig) enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// validate checks the combination of files and that they load; name is
// the listener ("public" or "private").
func (t TLSConfig) validate(name string) error {
	if (t.CertFile == "") != (t.KeyFile == "") {
		return fmt.Errorf("%s listener TLS: set both the certificate file and the key file, or neither", name)
	}
	if t.ClientCAFile != "" && !t.enabled() {
		return fmt.Errorf("%s listener TLS: a client CA file (mutual TLS) needs the certificate and key files", name)
	}
	if !t.enabled() {
		return nil
	}
	if _, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile); err != nil {
		return fmt.Errorf("%s listener TLS: load %s and %s: %w", name, t.CertFile, t.KeyFile, err)
	}
	if t.ClientCAFile != "" {
		if _, err := loadCertPool(t.ClientCAFile); err != nil {
			return fmt.Errorf("%s listener TLS: %w", name, err)
		}
	}
	return nil
}

// loadCertPool reads a PEM file of CA certificates.
func loadCertPool(path string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(raw) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// serverTLS returns the tls.Config of a listener: TLS 1.2 or later,
// HTTP/2 and HTTP/1.1 offered, the certificate reloaded when its files
// change, and client certificates required when a client CA is set.
func (t TLSConfig) serverTLS(log *slog.Logger, name string) (*tls.Config, error) {
	r := &certReloader{certFile: t.CertFile, keyFile: t.KeyFile, log: log.With("listener", name)}
	if err := r.reload(); err != nil {
		return nil, fmt.Errorf("%s listener TLS: %w", name, err)
	}
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: r.getCertificate,
	}
	if t.ClientCAFile != "" {
		pool, err := loadCertPool(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("%s listener TLS: %w", name, err)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// fileStamp identifies one version of a file: a change of any field
// means the file was replaced or rewritten.
type fileStamp struct {
	mod  time.Time
	size int64
	ino  uint64 // 0 where the platform has none
}

// stampOf returns the stamp of path (following symbolic links).
func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), ino: inode(fi)}, nil
}

// certReloader serves a certificate and key pair from files, reloading
// them on the first handshake after either changed. The check is two
// stat calls per handshake, small next to the handshake itself.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu        sync.Mutex
	cert      *tls.Certificate
	stamps    [2]fileStamp // of the loaded certificate and key files
	failedAt  [2]fileStamp // of the last change that did not load (logged once)
	hasFailed bool
}

// reload loads the files when their stamps differ from the loaded ones.
func (r *certReloader) reload() error {
	cs, err := stampOf(r.certFile)
	if err != nil {
		return fmt.Errorf("certificate file: %w", err)
	}
	ks, err := stampOf(r.keyFile)
	if err != nil {
		return fmt.Errorf("key file: %w", err)
	}
	now := [2]fileStamp{cs, ks}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert != nil && now == r.stamps {
		return nil
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("load %s and %s: %w", r.certFile, r.keyFile, err)
	}
	if r.cert != nil {
		r.log.Info("TLS certificate reloaded", "certFile", r.certFile)
	}
	r.cert, r.stamps, r.hasFailed = &cert, now, false
	return nil
}

// getCertificate is tls.Config.GetCertificate: the current certificate,
// reloaded first when its files changed. A change that does not load keeps
// the previous certificate (it is tried again on the next handshake).
func (r *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if err := r.reload(); err != nil {
		r.mu.Lock()
		cs, _ := stampOf(r.certFile)
		ks, _ := stampOf(r.keyFile)
		if !r.hasFailed || r.failedAt != [2]fileStamp{cs, ks} {
			r.hasFailed, r.failedAt = true, [2]fileStamp{cs, ks}
			r.log.Warn("TLS certificate files changed but do not load; serving the previous certificate", "error", err)
		}
		r.mu.Unlock()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cert == nil {
		return nil, errors.New("no TLS certificate loaded")
	}
	return r.cert, nil
}
