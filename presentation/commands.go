package presentation

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/moviediary/moviediary/adapters/auth"
	"github.com/moviediary/moviediary/application"
	"github.com/moviediary/moviediary/domain"
)

// NewLogger builds the process logger from LOG_LEVEL and LOG_FORMAT.
func NewLogger(w io.Writer, cfg Config) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Serve runs the server until ctx is cancelled (SIGINT/SIGTERM).
func Serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	logger.Info("starting moviediary", "config", cfg)
	app, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

// Migrate applies the database migrations and returns.
func Migrate(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return fmt.Errorf("create DATA_DIR %s: %w", cfg.DataDir, err)
	}
	store, err := OpenStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	logger.Info("database migrated", "database", maskURL(cfg.DatabaseURL))
	return nil
}

// AddUser creates an account whatever ALLOW_REGISTRATION says: it is how
// accounts are made on a server with registration closed.
func AddUser(ctx context.Context, cfg Config, logger *slog.Logger, email, password string) (domain.User, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return domain.User{}, fmt.Errorf("create DATA_DIR %s: %w", cfg.DataDir, err)
	}
	store, err := OpenStore(ctx, cfg.DatabaseURL)
	if err != nil {
		return domain.User{}, fmt.Errorf("open database: %w", err)
	}
	defer store.Close()
	if err := store.Migrate(ctx); err != nil {
		return domain.User{}, fmt.Errorf("migrate database: %w", err)
	}
	hasher, err := auth.NewArgon2id(auth.Argon2Config{})
	if err != nil {
		return domain.User{}, err
	}
	register, err := application.NewRegister(store.Users(), hasher, application.RegistrationOpen, time.Now)
	if err != nil {
		return domain.User{}, err
	}
	user, err := register.Handle(ctx, application.RegisterCommand{Email: email, Password: password})
	if err != nil {
		var ve *domain.ValidationError
		switch {
		case errors.As(err, &ve):
			return domain.User{}, errors.New(ve.Error())
		case errors.Is(err, domain.ErrConflict):
			return domain.User{}, fmt.Errorf("an account with email %s already exists", strings.TrimSpace(email))
		}
		return domain.User{}, err
	}
	logger.Info("user created", "user_id", user.ID.String())
	return user, nil
}

// LoadDotEnv reads KEY=VALUE lines from path into the environment, without
// overriding variables already set. A missing file is not an error. Lines
// may be blank, comments (#), or prefixed with "export "; values may be
// single- or double-quoted.
func LoadDotEnv(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return fmt.Errorf("%s:%d: expected KEY=VALUE", path, n)
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		} else if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		if _, set := os.LookupEnv(key); !set {
			if err := os.Setenv(key, value); err != nil {
				return fmt.Errorf("%s:%d: %w", path, n, err)
			}
		}
	}
	return sc.Err()
}
