// Command baseline is the yardstick of moviediary's HTTP benchmark: the
// least a Go server can do to answer the benchmarked requests on the same
// PostgreSQL database, with nothing of moviediary in between.
//
//	GET  /hello    answers a constant 6-byte body without touching the
//	               database: the ceiling of this machine's HTTP stack, to
//	               which moviediary's cached pages are compared.
//	GET  /diary    runs only the diary's first-page query (reviews joined
//	               with movies, newest first, 20 rows; no total count) and
//	               writes the rows as JSON.
//	POST /reviews  decodes {"external_metadata_id","rating","watched_at"}
//	               and runs only one INSERT of the review (the movie is
//	               found by its IMDb ID inside that statement); no auth.
//
// Usage:
//
//	DATABASE_URL=postgres://… baseline -addr 127.0.0.1:3101 -user-email bench@example.com
//
// It uses plain net/http, database/sql and lib/pq with the same pool size
// as moviediary (16 connections), and logs nothing per request.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/uuid"
	_ "github.com/lib/pq"
)

// pageQuery has the shape of moviediary's first diary page.
const pageQuery = `SELECT r.id, r.movie_id, r.user_id, r.rating_halves, r.comment, r.watched_at, r.created_at,
	m.external_id, m.title, m.release_year, m.director, m.poster_path
	FROM reviews r JOIN movies m ON m.id = r.movie_id
	ORDER BY r.watched_at DESC, r.id DESC LIMIT 20`

// insertReview stores one viewing of the movie holding an IMDb ID.
const insertReview = `INSERT INTO reviews (id, movie_id, user_id, rating_halves, comment, watched_at, created_at)
	SELECT $1, m.id, $2, $3, NULL, $4, $5 FROM movies m WHERE m.external_id = $6`

func main() {
	addr := flag.String("addr", "127.0.0.1:3101", "listen address")
	email := flag.String("user-email", "bench@example.com", "the account the reviews are logged for")
	flag.Parse()
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		log.Fatal("baseline: DATABASE_URL is required")
	}
	db, err := sql.Open("postgres", url)
	if err != nil {
		log.Fatalf("baseline: %v", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var userID string
	if err := db.QueryRowContext(ctx, `SELECT id FROM users WHERE email = lower($1)`, *email).Scan(&userID); err != nil {
		log.Fatalf("baseline: find user %s: %v", *email, err)
	}

	h := &handler{db: db, userID: userID}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", hello)
	mux.HandleFunc("GET /diary", h.diary)
	mux.HandleFunc("POST /reviews", h.logReview)
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Printf("baseline listening on %s", *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("baseline: %v", err)
	}
}

type handler struct {
	db     *sql.DB
	userID string
}

// entry is one diary row as JSON.
type entry struct {
	ID           string    `json:"id"`
	MovieID      string    `json:"movie_id"`
	UserID       string    `json:"user_id"`
	RatingHalves *int      `json:"rating_halves"`
	Comment      *string   `json:"comment"`
	WatchedAt    time.Time `json:"watched_at"`
	CreatedAt    time.Time `json:"created_at"`
	ExternalID   *string   `json:"external_metadata_id"`
	Title        string    `json:"title"`
	ReleaseYear  int       `json:"release_year"`
	Director     *string   `json:"director"`
	PosterPath   *string   `json:"poster_path"`
}

// helloBody is what GET /hello answers.
var helloBody = []byte("hello\n")

// hello answers helloBody with nothing else to do: no database, no
// allocation beyond net/http's own.
func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write(helloBody)
}

func (h *handler) diary(w http.ResponseWriter, r *http.Request) {
	rows, err := h.db.QueryContext(r.Context(), pageQuery)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer rows.Close()
	items := make([]entry, 0, 20)
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.ID, &e.MovieID, &e.UserID, &e.RatingHalves, &e.Comment, &e.WatchedAt, &e.CreatedAt,
			&e.ExternalID, &e.Title, &e.ReleaseYear, &e.Director, &e.PosterPath); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		items = append(items, e)
	}
	if err := rows.Err(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
}

func (h *handler) logReview(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ExternalID string  `json:"external_metadata_id"`
		Rating     float64 `json:"rating"`
		WatchedAt  string  `json:"watched_at"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	watched, err := time.Parse("2006-01-02T15:04:05", req.WatchedAt)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// Time-ordered IDs, as moviediary makes them.
	uid, err := uuid.NewV7()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	id := uid.String()
	res, err := h.db.ExecContext(r.Context(), insertReview, id, h.userID, int(req.Rating*2), watched, time.Now().UTC(), req.ExternalID)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if n, _ := res.RowsAffected(); n != 1 {
		http.Error(w, "no movie has that external_metadata_id", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id})
}
