package omdb_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/moviediary/moviediary/domain"
)

const testKey = "8c1f2a7e"

// Answers as OMDb gives them, abridged only in the plots.
var (
	shawshankJSON    = `{"Title":"The Shawshank Redemption","Year":"1994","Rated":"R","Released":"14 Oct 1994","Runtime":"142 min","Genre":"Drama","Director":"Frank Darabont","Writer":"Stephen King, Frank Darabont","Actors":"Tim Robbins, Morgan Freeman, Bob Gunton","Plot":"A banker convicted of uxoricide forms a friendship over a quarter century with a hardened convict.","Language":"English","Country":"United States","Awards":"Nominated for 7 Oscars. 21 wins & 42 nominations total","Poster":"https://m.media-amazon.com/images/M/MV5BMDAyY2FhYjctNDc5OS00MDNlLThiMGUtY2UxYWVkNGY2ZjljXkEyXkFqcGc@._V1_SX300.jpg","Ratings":[{"Source":"Internet Movie Database","Value":"9.3/10"},{"Source":"Rotten Tomatoes","Value":"89%"},{"Source":"Metacritic","Value":"82/100"}],"Metascore":"82","imdbRating":"9.3","imdbVotes":"3,012,345","imdbID":"tt0111161","Type":"movie","DVD":"N/A","BoxOffice":"$28,767,189","Production":"N/A","Website":"N/A","Response":"True"}`
	breakingBadJSON  = `{"Title":"Breaking Bad","Year":"2008–2013","Rated":"TV-MA","Released":"20 Jan 2008","Runtime":"49 min","Genre":"Crime, Drama, Thriller","Director":"N/A","Writer":"Vince Gilligan","Actors":"Bryan Cranston, Aaron Paul, Anna Gunn","Plot":"A chemistry teacher diagnosed with inoperable lung cancer turns to manufacturing and selling methamphetamine.","Language":"English, Spanish","Country":"United States","Awards":"Won 16 Primetime Emmys. 170 wins & 278 nominations total","Poster":"https://m.media-amazon.com/images/M/MV5BMzU5ZGYzNmQtMTdhYy00OGRiLTg0NmQtYjVjNzliZTg1ZGE4XkEyXkFqcGc@._V1_SX300.jpg","Ratings":[{"Source":"Internet Movie Database","Value":"9.5/10"}],"Metascore":"N/A","imdbRating":"9.5","imdbVotes":"2,212,345","imdbID":"tt0903747","Type":"series","totalSeasons":"5","Response":"True"}`
	onePieceJSON     = `{"Title":"One Piece","Year":"1999–","Rated":"TV-14","Released":"20 Oct 1999","Runtime":"24 min","Genre":"Animation, Action, Adventure","Director":"N/A","Writer":"Eiichiro Oda","Actors":"Mayumi Tanaka, Laurent Vernin, Tony Beck","Plot":"Follows the adventures of Monkey D. Luffy and his pirate crew.","Language":"Japanese","Country":"Japan","Awards":"4 wins & 10 nominations","Poster":"https://m.media-amazon.com/images/M/MV5BMTNjNGU4NTUtYmVjMy00YjRiLTkxMWUtNzZkMDNiYjZhNmViXkEyXkFqcGc@._V1_SX300.jpg","Ratings":[{"Source":"Internet Movie Database","Value":"9.0/10"}],"Metascore":"N/A","imdbRating":"9.0","imdbVotes":"289,123","imdbID":"tt0388629","Type":"series","totalSeasons":"22","Response":"True"}`
	matrixJSON       = `{"Title":"The Matrix","Year":"1999","Rated":"R","Released":"31 Mar 1999","Runtime":"136 min","Genre":"Action, Sci-Fi","Director":"Lana Wachowski, Lilly Wachowski","Writer":"Lilly Wachowski, Lana Wachowski","Actors":"Keanu Reeves, Laurence Fishburne, Carrie-Anne Moss","Plot":"When a beautiful stranger leads computer hacker Neo to a forbidding underworld, he discovers the shocking truth.","Language":"English","Country":"United States, Australia","Awards":"Won 4 Oscars. 42 wins & 52 nominations total","Poster":"https://m.media-amazon.com/images/M/MV5BN2NmN2VhMTQtMDNiOS00NDlhLTliMjgtODE2ZTY0ODQyNDRhXkEyXkFqcGc@._V1_SX300.jpg","Ratings":[{"Source":"Internet Movie Database","Value":"8.7/10"},{"Source":"Rotten Tomatoes","Value":"83%"},{"Source":"Metacritic","Value":"73/100"}],"Metascore":"73","imdbRating":"8.7","imdbVotes":"2,123,456","imdbID":"tt0133093","Type":"movie","DVD":"N/A","BoxOffice":"$172,076,928","Production":"N/A","Website":"N/A","Response":"True"}`
	amelieJSON       = `{"Title":"Amélie","Year":"2001","Rated":"R","Released":"08 Feb 2002","Runtime":"122 min","Genre":"Comedy, Romance","Director":"Jean-Pierre Jeunet","Writer":"Guillaume Laurant, Jean-Pierre Jeunet","Actors":"Audrey Tautou, Mathieu Kassovitz, Rufus","Plot":"Despite being caught in her imaginative world, Amélie decides to help people find happiness.","Language":"French, Russian, English","Country":"France, Germany","Awards":"Nominated for 5 Oscars. 59 wins & 74 nominations total","Poster":"https://m.media-amazon.com/images/M/MV5BMTYzNjkxMTczMF5BMl5BanBnXkFtZTgwMDgyMDQ2MzE@._V1_SX300.jpg","Ratings":[{"Source":"Internet Movie Database","Value":"8.3/10"}],"Metascore":"69","imdbRating":"8.3","imdbVotes":"795,432","imdbID":"tt0211915","Type":"movie","DVD":"N/A","BoxOffice":"$33,225,499","Production":"N/A","Website":"N/A","Response":"True"}`
	spiritedAwayJSON = `{"Title":"Sen to Chihiro no kamikakushi","Year":"2001","Rated":"PG","Released":"28 Mar 2003","Runtime":"125 min","Genre":"Animation, Adventure, Family","Director":"Hayao Miyazaki","Writer":"Hayao Miyazaki","Actors":"Rumi Hiiragi, Miyu Irino, Mari Natsuki","Plot":"During her family's move to the suburbs, a sullen 10-year-old girl wanders into a world ruled by gods, witches and spirits.","Language":"Japanese","Country":"Japan","Awards":"Won 1 Oscar. 58 wins & 32 nominations total","Poster":"https://m.media-amazon.com/images/M/MV5BNTEyNmEwOWUtYzkyOC00ZTQ4LTllZmUtMjk0Y2YwOGUzYjRiXkEyXkFqcGc@._V1_SX300.jpg","Ratings":[{"Source":"Internet Movie Database","Value":"8.6/10"}],"Metascore":"96","imdbRating":"8.6","imdbVotes":"899,876","imdbID":"tt0245429","Type":"movie","DVD":"N/A","BoxOffice":"$15,205,725","Production":"N/A","Website":"N/A","Response":"True"}`
	roundhayJSON     = `{"Title":"Roundhay Garden Scene","Year":"1888","Rated":"N/A","Released":"14 Oct 1888","Runtime":"1 min","Genre":"Documentary, Short","Director":"Louis Le Prince","Writer":"N/A","Actors":"Harriet Hartley, Adolphe Le Prince, Joseph Whitley","Plot":"Four people walk in a garden.","Language":"None","Country":"United Kingdom","Awards":"N/A","Poster":"N/A","Ratings":[{"Source":"Internet Movie Database","Value":"6.3/10"}],"Metascore":"N/A","imdbRating":"6.3","imdbVotes":"22,345","imdbID":"tt0392728","Type":"movie","DVD":"N/A","BoxOffice":"N/A","Production":"N/A","Website":"N/A","Response":"True"}`
	noYearJSON       = `{"Title":"Untitled Project","Year":"N/A","Rated":"N/A","Released":"N/A","Runtime":"N/A","Genre":"Drama","Director":"N/A","Writer":"N/A","Actors":"N/A","Plot":"N/A","Language":"N/A","Country":"N/A","Awards":"N/A","Poster":"N/A","Ratings":[],"Metascore":"N/A","imdbRating":"N/A","imdbVotes":"N/A","imdbID":"tt9916362","Type":"movie","DVD":"N/A","BoxOffice":"N/A","Production":"N/A","Website":"N/A","Response":"True"}`
)

// fakeOMDb serves films by ?i= and by ?t= (ignoring case) with optional
// ?y=, and checks the key the way OMDb does.
type fakeOMDb struct {
	key   string
	films []string // OMDb JSON answers

	mu       sync.Mutex
	requests []url.Values
}

func newFakeOMDb(t *testing.T, films ...string) (*fakeOMDb, *httptest.Server) {
	t.Helper()
	f := &fakeOMDb{key: testKey, films: films}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeOMDb) queries() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.requests...)
}

func (f *fakeOMDb) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	f.requests = append(f.requests, q)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch key := q.Get("apikey"); {
	case key == "":
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"Response":"False","Error":"No API key provided."}`))
		return
	case key != f.key:
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"Response":"False","Error":"Invalid API key!"}`))
		return
	}
	for _, film := range f.films {
		var a struct{ Title, Year, ImdbID string }
		if err := json.Unmarshal([]byte(film), &a); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		byID := q.Has("i") && q.Get("i") == a.ImdbID
		byTitle := q.Has("t") && strings.EqualFold(q.Get("t"), a.Title) && (q.Get("y") == "" || strings.HasPrefix(a.Year, q.Get("y")))
		if byID || byTitle {
			_, _ = w.Write([]byte(film))
			return
		}
	}
	switch {
	case q.Has("i") && !strings.HasPrefix(q.Get("i"), "tt"):
		_, _ = w.Write([]byte(`{"Response":"False","Error":"Incorrect IMDb ID."}`))
	case q.Has("i"):
		_, _ = w.Write([]byte(`{"Response":"False","Error":"Error getting data."}`))
	default:
		_, _ = w.Write([]byte(`{"Response":"False","Error":"Movie not found!"}`))
	}
}

// answerFor writes the OMDb answer a film would have, for the contract
// suite's films.
func answerFor(m domain.MovieMetadata) string {
	na := func(s string) string {
		if s == "" {
			return "N/A"
		}
		return s
	}
	b, err := json.Marshal(map[string]string{
		"Title":    m.Title.String(),
		"Year":     m.ReleaseYear.String(),
		"Rated":    "N/A",
		"Director": na(m.Director.String()),
		"Poster":   na(m.PosterURL.String()),
		"imdbID":   m.ExternalID.String(),
		"Type":     "movie",
		"Response": "True",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}
