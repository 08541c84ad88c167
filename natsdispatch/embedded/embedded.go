// Package embedded runs a NATS server inside the process, for tests and
// single-machine runs of natsdispatch: no install, no fixed port. It is a
// package of its own so that only the programs that import it link the
// server.
//
//	srv, err := embedded.Start(embedded.Config{})
//	if err != nil { ... }
//	defer srv.Shutdown()
//	nc, err := srv.Connect() // in-process; or nats.Connect(srv.ClientURL())
//
// The server listens on 127.0.0.1 only, on a port the system picks, with
// JetStream on and no logging.
package embedded

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Config configures the server Start runs. The zero Config is ready to use.
type Config struct {
	// Dir is where JetStream keeps its files. Empty means a temporary
	// directory, removed by Shutdown.
	Dir string
	// MaxPayload is the largest message the server accepts, headers
	// included; 0 means the server's default of 1 MiB.
	MaxPayload int32
	// ReadyTimeout bounds the wait for the server to accept connections; 0
	// means 10 seconds.
	ReadyTimeout time.Duration
	// Configure, if set, edits the server's options last, for what Config
	// does not cover: users and their permissions, accounts, limits.
	Configure func(*server.Options)
}

// Server is a NATS server running in this process.
type Server struct {
	srv    *server.Server
	tmpDir string
}

// Start runs a server and returns once it accepts connections.
func Start(cfg Config) (*Server, error) {
	s := &Server{}
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "natsdispatch-embedded-")
		if err != nil {
			return nil, fmt.Errorf("embedded: %w", err)
		}
		s.tmpDir, dir = tmp, tmp
	}
	opts := &server.Options{
		ServerName: "natsdispatch-embedded",
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		NoLog:      true,
		NoSigs:     true,
		JetStream:  true,
		StoreDir:   dir,
		MaxPayload: cfg.MaxPayload,
	}
	if cfg.Configure != nil {
		cfg.Configure(opts)
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		s.removeTmp()
		return nil, fmt.Errorf("embedded: %w", err)
	}
	s.srv = srv
	srv.Start()
	timeout := cfg.ReadyTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	if !srv.ReadyForConnections(timeout) {
		s.Shutdown()
		return nil, errors.New("embedded: server not ready for connections in " + timeout.String())
	}
	return s, nil
}

// ClientURL is the address clients connect to over loopback TCP.
func (s *Server) ClientURL() string { return s.srv.ClientURL() }

// Connect connects to the server in-process, with no socket, adding opts
// to the connection's options.
func (s *Server) Connect(opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect("", append([]nats.Option{nats.InProcessServer(s.srv)}, opts...)...)
}

// ConnectTCP connects to the server over loopback TCP, adding opts to the
// connection's options.
func (s *Server) ConnectTCP(opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect(s.ClientURL(), opts...)
}

// NATS returns the server itself, for what this package does not cover.
func (s *Server) NATS() *server.Server { return s.srv }

// Shutdown stops the server, waits until it has stopped, and removes its
// temporary directory.
func (s *Server) Shutdown() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
	s.removeTmp()
}

func (s *Server) removeTmp() {
	if s.tmpDir != "" {
		_ = os.RemoveAll(s.tmpDir)
	}
}
