package html_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xhtml "golang.org/x/net/html"

	"github.com/moviediary/moviediary/adapters/html"
	"github.com/moviediary/moviediary/domain"
)

// email is an account's address: it must never reach a public page.
const email = "ann@example.com"

// statsFixture is a diary of 7 viewings of 5 films over 2023 and 2024, 6 of
// them rated (3.33 stars on average).
func statsFixture(tb testing.TB) domain.Stats {
	tb.Helper()
	heat := mustMovie(tb, "Heat", 1995, withPoster, withDirector("Michael Mann"))
	hostile := mustMovie(tb, nasty, 1979, withDirector(nasty))
	rating := func(stars float64) domain.Rating { return domain.MustNewRating(stars) }
	return domain.Stats{
		Viewings: 7, Films: 5, Rated: 6, RatingHalves: 40,
		ByYear: []domain.YearStats{{Year: 2023, Viewings: 2, Films: 2}, {Year: 2024, Viewings: 5, Films: 4}},
		ByMonth: []domain.MonthStats{
			{Year: 2023, Month: time.December, Viewings: 2},
			{Year: 2024, Month: time.January, Viewings: 1},
			{Year: 2024, Month: time.May, Viewings: 4},
		},
		Ratings: []domain.RatingCount{
			{Rating: rating(5), Count: 1}, {Rating: rating(4.5), Count: 2}, {Rating: rating(3), Count: 2}, {Rating: rating(0.5), Count: 1},
		},
		TopFilms:     []domain.FilmCount{{Movie: heat, Viewings: 2}, {Movie: hostile, Viewings: 1}},
		TopDirectors: []domain.DirectorCount{{Director: heat.Director, Viewings: 2}, {Director: hostile.Director, Viewings: 1}},
	}
}

func userDoc(tb testing.TB, v html.UserPageView) (string, *xhtml.Node) {
	tb.Helper()
	r := mustRenderer(tb)
	return mustParse(tb, func(b *bytes.Buffer) error { return r.UserPage(b, v) })
}

func statsDoc(tb testing.TB, v html.StatsPageView) (string, *xhtml.Node) {
	tb.Helper()
	r := mustRenderer(tb)
	return mustParse(tb, func(b *bytes.Buffer) error { return r.StatsPage(b, v) })
}

func classed(class string) func(*xhtml.Node) bool {
	return func(n *xhtml.Node) bool { return hasClass(n, class) }
}

// figures returns a <dl class="figures"> as term → text.
func figures(tb testing.TB, doc *xhtml.Node) map[string]string {
	tb.Helper()
	dl := first(tb, doc, func(n *xhtml.Node) bool { return tag("dl")(n) && hasClass(n, "figures") }, "figures")
	out := map[string]string{}
	for _, dt := range all(dl, tag("dt")) {
		dd := dt.NextSibling
		for dd != nil && dd.Type != xhtml.ElementNode {
			dd = dd.NextSibling
		}
		if dd == nil || dd.Data != "dd" {
			tb.Fatalf("term %q has no definition", text(dt))
		}
		out[text(dt)] = text(dd)
	}
	return out
}

func hrefsOf(nodes []*xhtml.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, attrOr(n, "href"))
	}
	return out
}

func TestPathsOfTheNewPages(t *testing.T) {
	t.Parallel()
	id := domain.NewUserID()
	tests := []struct{ got, want string }{
		{html.UserPath(id), "/users/" + id.String()},
		{html.UserFeedPath(id), "/users/" + id.String() + "/feed.rss"},
		{html.UserYearPath(id, 2024), "/users/" + id.String() + "/years/2024"},
		{html.StatsPath, "/stats"},
		{html.YearPath(2024), "/stats/2024"},
		{html.EmbedPath(id), "/embed/users/" + id.String()},
		{html.SettingsPath, "/settings"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("path = %q, want %q", tc.got, tc.want)
		}
	}
}

func TestUserPageShowsTheNameEscapedAndNeverTheEmail(t *testing.T) {
	t.Parallel()
	owner := domain.NewUserID()
	e := mustEntryBy(t, owner, mustMovie(t, nasty, 1999, withPoster), 4, nasty, watched)
	raw, doc := userDoc(t, html.UserPageView{
		Profile: html.ProfileView{ID: owner, Name: nasty}, Stats: statsFixture(t),
		Entries: []domain.DiaryEntry{e}, TotalCount: 1,
		// Signed out: an email put here by mistake must not be drawn.
		UserEmail: email, CSRFToken: token,
	})
	if strings.Contains(raw, "<script>") || strings.Contains(raw, "alert(1)</script>") {
		t.Fatalf("unescaped markup in output")
	}
	if strings.Contains(raw, email) {
		t.Errorf("the page shows the email address")
	}
	if got := rawText(first(t, doc, tag("h1"), "h1")); got != nasty {
		t.Errorf("h1 = %q, want %q", got, nasty)
	}
	if got, want := rawText(first(t, doc, tag("title"), "title")), nasty+" · Movie Diary"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got := rawText(first(t, first(t, doc, tag("article"), "entry"), tag("h2"), "entry title")); got != nasty+" (1999)" {
		t.Errorf("entry title = %q", got)
	}
	feed := first(t, doc, tagAttr("a", "href", html.UserFeedPath(owner)), "feed link")
	if got := rawText(feed); got != "RSS feed of "+nasty+"'s viewings" {
		t.Errorf("feed link = %q", got)
	}
	alt := first(t, first(t, doc, tag("head"), "head"), tagAttr("link", "rel", "alternate"), "alternate link")
	if got := attrOr(alt, "href"); got != html.UserFeedPath(owner) {
		t.Errorf("alternate feed = %q, want the user's", got)
	}
	if got, want := attrOr(alt, "title"), nasty+"'s films · Movie Diary"; got != want {
		t.Errorf("alternate title = %q, want %q", got, want)
	}
	if n := len(all(doc, tagAttr("a", "href", "/login"))); n == 0 {
		t.Errorf("a signed-out viewer gets no sign-in link")
	}
}

func TestUserPagePrivateNoteOnlyForItsOwner(t *testing.T) {
	t.Parallel()
	id := domain.NewUserID()
	tests := []struct {
		name     string
		profile  html.ProfileView
		wantNote bool
	}{
		{"own private diary", html.ProfileView{ID: id, Name: "Ann", Private: true, Own: true}, true},
		{"own public diary", html.ProfileView{ID: id, Name: "Ann", Own: true}, false},
		{"someone else's public diary", html.ProfileView{ID: id, Name: "Ann"}, false},
		{"private but not the viewer's (the caller should not draw it)", html.ProfileView{ID: id, Name: "Ann", Private: true}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := userDoc(t, html.UserPageView{Profile: tc.profile, SignedIn: true, UserID: id})
			notes := all(doc, classed("private"))
			if got := len(notes) == 1; got != tc.wantNote {
				t.Fatalf("private note shown = %v, want %v", got, tc.wantNote)
			}
			if tc.wantNote && !strings.HasPrefix(text(notes[0]), "Private — only you can see this") {
				t.Errorf("note = %q", text(notes[0]))
			}
			if tc.profile.Own && len(all(first(t, doc, tag("main"), "main"), tagAttr("a", "href", "/settings"))) == 0 {
				t.Errorf("the owner's page does not link to the settings")
			}
		})
	}
}

func TestUserPageSummarisesTheStatistics(t *testing.T) {
	t.Parallel()
	id := domain.NewUserID()
	tests := []struct {
		name      string
		stats     domain.Stats
		want      map[string]string
		wantYears []string
	}{
		{"rated viewings over two years", statsFixture(t),
			map[string]string{"Viewings": "7", "Films": "5", "Average rating": "★★★½☆ 3.33.3 out of 5 on average", "Rewatches": "2"},
			[]string{html.UserYearPath(id, 2023), html.UserYearPath(id, 2024)}},
		{"nothing rated", domain.Stats{Viewings: 3, Films: 1, ByYear: []domain.YearStats{{Year: 2020, Viewings: 3, Films: 1}}},
			map[string]string{"Viewings": "3", "Films": "1", "Average rating": "No ratings", "Rewatches": "2"},
			[]string{html.UserYearPath(id, 2020)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := userDoc(t, html.UserPageView{Profile: html.ProfileView{ID: id, Name: "Ann"}, Stats: tc.stats, TotalCount: tc.stats.Viewings})
			got := figures(t, doc)
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
			years := first(t, doc, func(n *xhtml.Node) bool { return tag("p")(n) && hasClass(n, "years") }, "years")
			if got := hrefsOf(all(years, tag("a"))); !slices.Equal(got, tc.wantYears) {
				t.Errorf("year links = %q, want %q", got, tc.wantYears)
			}
			if got := text(first(t, doc, classed("sub"), "sub-heading")); got != strconv.Itoa(tc.stats.Viewings)+" viewings" {
				t.Errorf("sub-heading = %q", got)
			}
		})
	}
}

func TestUserPageEmptyState(t *testing.T) {
	t.Parallel()
	id := domain.NewUserID()
	_, doc := userDoc(t, html.UserPageView{Profile: html.ProfileView{ID: id, Name: "Ann"}})
	if n := len(all(doc, classed("figures"))); n != 0 {
		t.Errorf("figures drawn for an empty diary")
	}
	if got := text(first(t, doc, classed("empty"), "empty note")); got != "No viewings logged yet." {
		t.Errorf("empty note = %q", got)
	}
	if got := text(first(t, doc, classed("sub"), "sub-heading")); got != "No viewings yet" {
		t.Errorf("sub-heading = %q", got)
	}
	if len(all(doc, tagAttr("a", "href", html.UserFeedPath(id)))) != 1 {
		t.Errorf("no feed link on an empty page")
	}
}

func TestUserPageEntriesEditableByTheirAuthorOnly(t *testing.T) {
	t.Parallel()
	owner := domain.NewUserID()
	e := mustEntryBy(t, owner, mustMovie(t, "Heat", 1995), 4, "", watched)
	tests := []struct {
		name     string
		signedIn bool
		viewer   domain.UserID
		wantEdit bool
	}{
		{"the author", true, owner, true},
		{"another user", true, domain.NewUserID(), false},
		{"signed out", false, domain.UserID{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := userDoc(t, html.UserPageView{Profile: html.ProfileView{ID: owner, Name: "Ann", Own: tc.viewer == owner},
				Entries: []domain.DiaryEntry{e}, TotalCount: 3, SignedIn: tc.signedIn, UserID: tc.viewer,
				NextURL: html.UserPath(owner) + "?cursor=abc"})
			edit := all(doc, tagAttr("a", "href", html.EditReviewPath(e.Review.ID)))
			del := all(doc, tagAttr("a", "href", html.DeleteReviewPath(e.Review.ID)))
			if got := len(edit) == 1 && len(del) == 1; got != tc.wantEdit {
				t.Errorf("edit and delete links = %d, %d; want them %v", len(edit), len(del), tc.wantEdit)
			}
			pager := first(t, doc, tagAttr("nav", "aria-label", "Pages"), "pager")
			if got := hrefsOf(all(pager, tag("a"))); !slices.Equal(got, []string{html.UserPath(owner) + "?cursor=abc"}) {
				t.Errorf("pager links = %q", got)
			}
		})
	}
}

func TestAccountNavLinksMyPageAndSettings(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	viewer := domain.NewUserID()
	tests := []struct {
		name         string
		render       func(*bytes.Buffer) error
		wantMyPage   string
		wantSettings bool
	}{
		{"diary of a signed-in user", func(b *bytes.Buffer) error {
			return r.DiaryPage(b, html.DiaryView{SignedIn: true, UserID: viewer, UserEmail: email})
		}, html.UserPath(viewer), true},
		{"someone's page seen by a signed-in user", func(b *bytes.Buffer) error {
			return r.UserPage(b, html.UserPageView{Profile: html.ProfileView{ID: domain.NewUserID(), Name: "Bob"}, SignedIn: true, UserID: viewer, UserEmail: email})
		}, html.UserPath(viewer), true},
		{"tokens page without the user's ID", func(b *bytes.Buffer) error {
			return r.TokensPage(b, html.TokensView{UserEmail: email})
		}, "", true},
		{"tokens page with it", func(b *bytes.Buffer) error {
			return r.TokensPage(b, html.TokensView{UserID: viewer, UserEmail: email})
		}, html.UserPath(viewer), true},
		{"signed out", func(b *bytes.Buffer) error { return r.DiaryPage(b, html.DiaryView{}) }, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := mustParse(t, tc.render)
			nav := first(t, doc, tagAttr("nav", "aria-label", "Account"), "account nav")
			var my []string
			for _, a := range all(nav, tag("a")) {
				if text(a) == "My page" {
					my = append(my, attrOr(a, "href"))
				}
			}
			if tc.wantMyPage == "" && len(my) != 0 || tc.wantMyPage != "" && !slices.Equal(my, []string{tc.wantMyPage}) {
				t.Errorf("My page links = %q, want %q", my, tc.wantMyPage)
			}
			if got := len(all(nav, tagAttr("a", "href", html.SettingsPath))) == 1; got != tc.wantSettings {
				t.Errorf("Settings link = %v, want %v", got, tc.wantSettings)
			}
		})
	}
}

func TestEveryPageLinksTheStatisticsInTheFooter(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	for _, p := range pages(t) {
		t.Run(p.name, func(t *testing.T) {
			_, doc := mustParse(t, func(b *bytes.Buffer) error { return p.render(r, b) })
			footer := first(t, doc, tag("footer"), "footer")
			if got := all(footer, tagAttr("a", "href", html.StatsPath)); len(got) != 1 || text(got[0]) != "Statistics" {
				t.Errorf("footer = %q", text(footer))
			}
		})
	}
}

// The policy forbids style attributes (only the hashed stylesheets may
// style), so no page may carry one: the bars take their widths from
// classes.
func TestNoPageUsesStyleAttributes(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	ps := append(pages(t), namedPage{name: "embed", render: func(r *html.Renderer, b *bytes.Buffer) error {
		return r.Embed(b, embedFixture(t))
	}})
	for _, p := range ps {
		t.Run(p.name, func(t *testing.T) {
			_, doc := mustParse(t, func(b *bytes.Buffer) error { return p.render(r, b) })
			for _, el := range all(doc, func(n *xhtml.Node) bool { return n.Type == xhtml.ElementNode }) {
				if v, ok := attr(el, "style"); ok {
					t.Errorf("<%s style=%q>", el.Data, v)
				}
			}
		})
	}
}

func TestStatsPageTitles(t *testing.T) {
	t.Parallel()
	ann := &html.ProfileView{ID: domain.NewUserID(), Name: "Ann"}
	hostile := &html.ProfileView{ID: domain.NewUserID(), Name: nasty}
	tests := []struct {
		name    string
		profile *html.ProfileView
		year    int
		want    string
	}{
		{"a user's year in review", ann, 2024, "Ann's 2024 in film"},
		{"the whole diary's year in review", nil, 2024, "2024 in film"},
		{"a user's statistics", ann, 0, "Ann's statistics"},
		{"the whole diary's statistics", nil, 0, "Statistics"},
		{"a hostile name is shown verbatim", hostile, 2023, nasty + "'s 2023 in film"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw, doc := statsDoc(t, html.StatsPageView{Profile: tc.profile, Year: tc.year, Stats: statsFixture(t)})
			if strings.Contains(raw, "<script>") {
				t.Fatalf("unescaped markup in output")
			}
			if got := rawText(first(t, doc, tag("h1"), "h1")); got != tc.want {
				t.Errorf("h1 = %q, want %q", got, tc.want)
			}
			if got := rawText(first(t, doc, tag("title"), "title")); got != tc.want+" · Movie Diary" {
				t.Errorf("title = %q, want %q", got, tc.want+" · Movie Diary")
			}
			if got := len(all(doc, classed("private"))); got != 0 {
				t.Errorf("a private note on a public diary's page")
			}
			if tc.profile != nil {
				back := first(t, first(t, doc, classed("sub"), "sub-heading"), tag("a"), "back link")
				if attrOr(back, "href") != html.UserPath(tc.profile.ID) || rawText(back) != "← "+tc.profile.Name+"'s diary" {
					t.Errorf("back link = %q → %q", rawText(back), attrOr(back, "href"))
				}
			}
		})
	}
}

func TestStatsPageOfTheOwnersPrivateDiarySaysSo(t *testing.T) {
	t.Parallel()
	_, doc := statsDoc(t, html.StatsPageView{Profile: &html.ProfileView{ID: domain.NewUserID(), Name: "Ann", Private: true, Own: true},
		Year: 2024, Stats: statsFixture(t)})
	if got := text(first(t, doc, classed("private"), "private note")); !strings.HasPrefix(got, "Private — only you can see this page") {
		t.Errorf("note = %q", got)
	}
}

func TestStatsPageYearNavigation(t *testing.T) {
	t.Parallel()
	ann := &html.ProfileView{ID: domain.NewUserID(), Name: "Ann"}
	tests := []struct {
		name        string
		view        html.StatsPageView
		wantLinks   []string
		wantCurrent string
	}{
		{"whole diary, all time, years from the figures", html.StatsPageView{Stats: statsFixture(t)},
			[]string{"/stats", "/stats/2023", "/stats/2024"}, "/stats"},
		{"whole diary, one year, years given", html.StatsPageView{Year: 2024, Stats: statsFixture(t), Years: []int{2022, 2023, 2024}},
			[]string{"/stats", "/stats/2022", "/stats/2023", "/stats/2024"}, "/stats/2024"},
		{"a user's year: all time is their page", html.StatsPageView{Profile: ann, Year: 2023, Years: []int{2023, 2024}},
			[]string{html.UserPath(ann.ID), html.UserYearPath(ann.ID, 2023), html.UserYearPath(ann.ID, 2024)}, html.UserYearPath(ann.ID, 2023)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := statsDoc(t, tc.view)
			nav := first(t, doc, tagAttr("nav", "aria-label", "Years"), "year navigation")
			if got := hrefsOf(all(nav, tag("a"))); !slices.Equal(got, tc.wantLinks) {
				t.Errorf("links = %q, want %q", got, tc.wantLinks)
			}
			if got := hrefsOf(all(nav, func(n *xhtml.Node) bool { return tag("a")(n) && attrOr(n, "aria-current") == "page" })); !slices.Equal(got, []string{tc.wantCurrent}) {
				t.Errorf("current = %q, want %q", got, tc.wantCurrent)
			}
		})
	}
}

// barRows returns the rows of the table with class, each as its cells'
// text and the width class of its bar.
func barRows(tb testing.TB, doc *xhtml.Node, class string) [][]string {
	tb.Helper()
	table := first(tb, doc, func(n *xhtml.Node) bool { return tag("table")(n) && hasClass(n, class) }, class+" table")
	var rows [][]string
	for _, tr := range all(first(tb, table, tag("tbody"), "tbody"), tag("tr")) {
		var row []string
		for _, c := range all(tr, func(n *xhtml.Node) bool { return tag("th")(n) || tag("td")(n) }) {
			if hasClass(c, "bar") {
				if attrOr(c, "aria-hidden") != "true" {
					tb.Errorf("a bar is not hidden from screen readers")
				}
				bar := first(tb, c, tag("span"), "bar")
				row = append(row, strings.TrimSpace(strings.TrimPrefix(attrOr(bar, "class"), "bar")))
				continue
			}
			row = append(row, text(c))
		}
		rows = append(rows, row)
	}
	return rows
}

func TestStatsPageAllTime(t *testing.T) {
	t.Parallel()
	s := statsFixture(t)
	raw, doc := statsDoc(t, html.StatsPageView{Stats: s, UserEmail: email})
	if strings.Contains(raw, email) {
		t.Errorf("a signed-out page shows the email")
	}
	got := figures(t, doc)
	for k, want := range map[string]string{"Viewings": "7", "Films": "5", "Rated": "6", "Average rating": "★★★½☆ 3.33.3 out of 5 on average", "Rewatches": "2"} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	if got := text(first(t, doc, tagAttr("h2", "id", "periods-heading"), "periods heading")); got != "Viewings per year" {
		t.Errorf("periods heading = %q", got)
	}
	if rows, want := barRows(t, doc, "periods"), [][]string{{"2023", "2", "2", "w40"}, {"2024", "5", "4", "w100"}}; !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("per-year rows = %q, want %q", rows, want)
	}
	periods := first(t, doc, classed("periods"), "periods")
	if got := hrefsOf(all(periods, tag("a"))); !slices.Equal(got, []string{"/stats/2023", "/stats/2024"}) {
		t.Errorf("year links = %q", got)
	}
	wantRatings := [][]string{
		{"★★★★★5 out of 5", "1", "w50"}, {"★★★★½4.5 out of 5", "2", "w100"}, {"★★★★☆4 out of 5", "0", "w0"},
		{"★★★½☆3.5 out of 5", "0", "w0"}, {"★★★☆☆3 out of 5", "2", "w100"}, {"★★½☆☆2.5 out of 5", "0", "w0"},
		{"★★☆☆☆2 out of 5", "0", "w0"}, {"★½☆☆☆1.5 out of 5", "0", "w0"}, {"★☆☆☆☆1 out of 5", "0", "w0"},
		{"½☆☆☆☆0.5 out of 5", "1", "w50"},
	}
	if rows := barRows(t, doc, "ratings"); !slices.EqualFunc(rows, wantRatings, slices.Equal) {
		t.Errorf("rating rows = %q, want %q", rows, wantRatings)
	}

	films := all(first(t, doc, classed("top-films"), "top films"), tag("li"))
	if len(films) != 2 {
		t.Fatalf("top films = %d, want 2", len(films))
	}
	img := first(t, films[0], tag("img"), "poster")
	if got := attrOr(img, "src"); got != "/posters/"+s.TopFilms[0].Movie.ID.String() {
		t.Errorf("poster = %q", got)
	}
	if got := attrOr(img, "alt"); got != "Poster of Heat (1995)" {
		t.Errorf("poster alt = %q", got)
	}
	if len(all(films[1], tag("img"))) != 0 || len(all(films[1], classed("placeholder"))) != 1 {
		t.Errorf("a film without a poster gets no placeholder")
	}
	for i, f := range films {
		a := first(t, f, tag("a"), "film link")
		if got, want := attrOr(a, "href"), "/diary?movie_id="+s.TopFilms[i].Movie.ID.String(); got != want {
			t.Errorf("film %d links to %q, want %q", i, got, want)
		}
	}
	if got := rawText(first(t, films[1], tag("a"), "film link")); got != nasty+" (1979)" {
		t.Errorf("hostile title = %q", got)
	}
	if got := text(first(t, films[0], classed("meta"), "film figures")); got != "2 viewings · Michael Mann" {
		t.Errorf("film figures = %q", got)
	}
	var directors []string
	for _, li := range all(first(t, doc, classed("top-directors"), "top directors"), tag("li")) {
		directors = append(directors, rawText(li))
	}
	if want := []string{"Michael Mann · 2 viewings", nasty + " · 1 viewing"}; !slices.Equal(directors, want) {
		t.Errorf("directors = %q, want %q", directors, want)
	}
}

func TestStatsPageYearInReviewHasEveryMonth(t *testing.T) {
	t.Parallel()
	_, doc := statsDoc(t, html.StatsPageView{Year: 2024, Stats: statsFixture(t)})
	if got := text(first(t, doc, tagAttr("h2", "id", "periods-heading"), "periods heading")); got != "Viewings per month in 2024" {
		t.Errorf("periods heading = %q", got)
	}
	rows := barRows(t, doc, "periods")
	if len(rows) != 12 {
		t.Fatalf("months = %d, want 12", len(rows))
	}
	for i, row := range rows {
		m := time.Month(i + 1)
		want := []string{m.String(), "0", "w0"}
		switch m {
		case time.January:
			want = []string{"January", "1", "w25"}
		case time.May:
			want = []string{"May", "4", "w100"}
		}
		if !slices.Equal(row, want) {
			t.Errorf("row %d = %q, want %q", i, row, want)
		}
	}
}

func TestStatsPageZeroStarRatingsGetARowOnlyWhenGiven(t *testing.T) {
	t.Parallel()
	s := domain.Stats{Viewings: 3, Films: 3, Rated: 3, RatingHalves: 1,
		Ratings: []domain.RatingCount{{Rating: domain.MustNewRating(0.5), Count: 1}, {Rating: domain.MustNewRating(0), Count: 2}}}
	_, doc := statsDoc(t, html.StatsPageView{Stats: s})
	rows := barRows(t, doc, "ratings")
	if len(rows) != 11 || !slices.Equal(rows[10], []string{"☆☆☆☆☆0 out of 5", "2", "w100"}) || !slices.Equal(rows[9], []string{"½☆☆☆☆0.5 out of 5", "1", "w50"}) {
		t.Errorf("rating rows = %q", rows)
	}
}

func TestStatsPageEmptyStates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		view html.StatsPageView
		want string
	}{
		{"no viewings at all", html.StatsPageView{}, "No viewings yet."},
		{"no viewings that year", html.StatsPageView{Year: 2021, Years: []int{2024}}, "No viewings in 2021."},
		{"a user without viewings", html.StatsPageView{Profile: &html.ProfileView{ID: domain.NewUserID(), Name: "Ann"}}, "No viewings yet."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := statsDoc(t, tc.view)
			if got := text(first(t, doc, classed("empty"), "empty note")); got != tc.want {
				t.Errorf("empty note = %q, want %q", got, tc.want)
			}
			if n := len(all(doc, tag("table"))) + len(all(doc, classed("figures"))) + len(all(doc, tag("ol"))); n != 0 {
				t.Errorf("%d tables, figures or lists drawn with no viewings", n)
			}
		})
	}
	_, doc := statsDoc(t, html.StatsPageView{Stats: domain.Stats{Viewings: 1, Films: 1, ByYear: []domain.YearStats{{Year: 2024, Viewings: 1, Films: 1}}}})
	if got := text(first(t, first(t, doc, tagAttr("h2", "id", "ratings-heading"), "ratings").Parent, classed("empty"), "no ratings")); got != "No ratings given." {
		t.Errorf("ratings without any = %q", got)
	}
	if n := len(all(doc, classed("top-films"))) + len(all(doc, classed("top-directors"))); n != 0 {
		t.Errorf("empty top lists drawn")
	}
}

// Every width class a bar uses is defined by the page's stylesheet.
func TestBarWidthClassesAreInTheStylesheet(t *testing.T) {
	t.Parallel()
	s := statsFixture(t)
	for i := range 40 {
		s.ByYear = append(s.ByYear, domain.YearStats{Year: 1900 + i, Viewings: i + 1, Films: 1})
	}
	_, doc := statsDoc(t, html.StatsPageView{Stats: s})
	css := linkedStylesheet(t, mustRenderer(t), doc)
	seen := map[string]bool{}
	for _, span := range all(doc, func(n *xhtml.Node) bool { return tag("span")(n) && hasClass(n, "bar") }) {
		for _, c := range strings.Fields(attrOr(span, "class")) {
			if c == "bar" || seen[c] {
				continue
			}
			seen[c] = true
			pct := strings.TrimPrefix(c, "w")
			if !strings.Contains(css, "."+c+" { width: "+pct+"%; }") {
				t.Errorf("class %s is not in the stylesheet", c)
			}
		}
	}
	if len(seen) < 15 {
		t.Errorf("only %d width classes used: %v", len(seen), seen)
	}
}

func TestSettingsPage(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	id := domain.NewUserID()
	for _, private := range []bool{false, true} {
		t.Run("private="+strconv.FormatBool(private), func(t *testing.T) {
			t.Parallel()
			raw, doc := mustParse(t, func(b *bytes.Buffer) error {
				return r.SettingsPage(b, html.SettingsView{SignedIn: true, UserID: id, UserEmail: email, CSRFToken: token,
					DisplayName: nasty, Private: private, PublicName: nasty, Errors: []string{nasty}, Notice: nasty})
			})
			if strings.Contains(raw, "<script>") {
				t.Fatalf("unescaped markup in output")
			}
			form, ok := postForms(t, doc)[html.SettingsPath]
			if !ok {
				t.Fatalf("no form posts to %s", html.SettingsPath)
			}
			if got := controlNames(form); !slices.Equal(got, []string{"csrf_token", "display_name", "private"}) {
				t.Errorf("fields = %q", got)
			}
			name := control(t, form, "display_name")
			for k, want := range map[string]string{"type": "text", "maxlength": "50", "value": nasty} {
				if got := attrOr(name, k); got != want {
					t.Errorf("display_name %s = %q, want %q", k, got, want)
				}
			}
			box := control(t, form, "private")
			if attrOr(box, "type") != "checkbox" || attrOr(box, "value") != "on" {
				t.Errorf("private = <input type=%q value=%q>", attrOr(box, "type"), attrOr(box, "value"))
			}
			if _, checked := attr(box, "checked"); checked != private {
				t.Errorf("checked = %v, want %v", checked, private)
			}
			for _, c := range []string{"display_name", "private"} {
				if len(all(form, tagAttr("label", "for", attrOr(control(t, form, c), "id")))) != 1 {
					t.Errorf("%s has no label", c)
				}
			}
			main := first(t, doc, tag("main"), "main")
			if len(all(main, tagAttr("a", "href", html.UserPath(id)))) != 1 {
				t.Errorf("no link to the user's page")
			}
			body := text(main)
			for _, want := range []string{"Your email address is never shown to anyone", "A private diary is seen by you alone", "Others now see you as"} {
				if !strings.Contains(body, want) {
					t.Errorf("the page does not say %q", want)
				}
			}
			if got := rawText(first(t, doc, classed("notice"), "notice")); got != nasty {
				t.Errorf("notice = %q", got)
			}
			if got := rawText(first(t, first(t, doc, classed("errors"), "errors"), tag("li"), "error")); got != nasty {
				t.Errorf("error = %q", got)
			}
		})
	}
}

func embedFixture(tb testing.TB) html.EmbedView {
	tb.Helper()
	id := domain.NewUserID()
	return html.EmbedView{
		Profile: html.ProfileView{ID: id, Name: nasty},
		Entries: []domain.DiaryEntry{
			mustEntryBy(tb, id, mustMovie(tb, nasty, 1999, withPoster), 3.5, "a comment the widget leaves out", watched),
			mustEntryBy(tb, id, mustMovie(tb, "Heat", 1995), -1, "", watched.Add(-48*time.Hour)),
		},
		PageURL: "https://diary.example/md" + html.UserPath(id),
	}
}

func TestEmbedIsACompactStandaloneWidget(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	v := embedFixture(t)
	raw, doc := mustParse(t, func(b *bytes.Buffer) error { return r.Embed(b, v) })
	if strings.Contains(raw, "<script") || strings.Contains(raw, "alert(1)</script>") {
		t.Fatalf("unescaped markup or script in output")
	}
	if strings.Contains(raw, email) || strings.Contains(raw, "a comment the widget leaves out") {
		t.Errorf("the widget shows more than it should")
	}
	for _, el := range []string{"header", "footer", "nav", "form", "script", "iframe"} {
		if n := len(all(doc, tag(el))); n != 0 {
			t.Errorf("%d <%s> elements", n, el)
		}
	}
	const base = "https://diary.example/md"
	links := all(doc, tag("a"))
	if len(links) == 0 {
		t.Fatal("no links")
	}
	for _, a := range links {
		href := attrOr(a, "href")
		if !strings.HasPrefix(href, base+"/") {
			t.Errorf("link %q is not absolute under %s", href, base)
		}
		if attrOr(a, "target") != "_blank" || !slices.Contains(strings.Fields(attrOr(a, "rel")), "noopener") {
			t.Errorf("link %q: target=%q rel=%q, want _blank with noopener", href, attrOr(a, "target"), attrOr(a, "rel"))
		}
	}
	who := first(t, first(t, doc, classed("who"), "name"), tag("a"), "name link")
	if attrOr(who, "href") != v.PageURL || rawText(who) != nasty {
		t.Errorf("name link = %q → %q", rawText(who), attrOr(who, "href"))
	}
	items := all(first(t, doc, tag("ol"), "list"), tag("li"))
	if len(items) != 2 {
		t.Fatalf("items = %d, want 2", len(items))
	}
	img := first(t, items[0], tag("img"), "poster")
	if got, want := attrOr(img, "src"), base+"/posters/"+v.Entries[0].Movie.ID.String(); got != want {
		t.Errorf("poster = %q, want %q", got, want)
	}
	if attrOr(img, "width") != "32" || attrOr(img, "height") != "48" {
		t.Errorf("poster is %sx%s, want small", attrOr(img, "width"), attrOr(img, "height"))
	}
	if len(all(items[1], tag("img"))) != 0 || len(all(items[1], classed("ph"))) != 1 {
		t.Errorf("a film without a poster gets no placeholder")
	}
	first0 := first(t, items[0], tag("a"), "film link")
	if got, want := attrOr(first0, "href"), base+"/diary?movie_id="+v.Entries[0].Movie.ID.String(); got != want {
		t.Errorf("film link = %q, want %q", got, want)
	}
	if got := rawText(first0); got != nasty+" (1999)" {
		t.Errorf("film title = %q", got)
	}
	if got := text(first(t, items[0], classed("meta"), "meta")); got != "★★★½☆3.5 out of 5 · 1 May 2024" {
		t.Errorf("meta = %q", got)
	}
	if got := text(first(t, items[1], classed("meta"), "meta")); got != "Not rated · 29 Apr 2024" {
		t.Errorf("meta of an unrated viewing = %q", got)
	}
	css := linkedStylesheet(t, r, doc)
	if !strings.Contains(css, "prefers-color-scheme: dark") || !strings.Contains(css, "max-width: 400px") {
		t.Errorf("the widget's stylesheet has no dark scheme or no width bound")
	}
	for _, csp := range []string{r.ContentSecurityPolicyFramedBy([]string{"https://blog.example"}), r.ContentSecurityPolicy()} {
		if !strings.Contains(csp, "style-src 'self';") {
			t.Errorf("CSP %q does not allow the widget's stylesheet from the site", csp)
		}
	}
}

func TestEmbedEmptyAndLinkBases(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	id := domain.NewUserID()
	m := mustMovie(t, "Heat", 1995)
	e := mustEntryBy(t, id, m, 4, "", watched)
	tests := []struct {
		name     string
		view     html.EmbedView
		wantFilm string
	}{
		{"the base is the page URL without the user's path", html.EmbedView{Profile: html.ProfileView{ID: id, Name: "Ann"},
			Entries: []domain.DiaryEntry{e}, PageURL: "http://localhost:3000" + html.UserPath(id)}, "http://localhost:3000/diary?movie_id=" + m.ID.String()},
		{"a base URL given wins", html.EmbedView{Profile: html.ProfileView{ID: id, Name: "Ann"},
			Entries: []domain.DiaryEntry{e}, PageURL: "https://a.example/u", BaseURL: "https://b.example/diary/"}, "https://b.example/diary/diary?movie_id=" + m.ID.String()},
		{"another page URL gives its origin", html.EmbedView{Profile: html.ProfileView{ID: id, Name: "Ann"},
			Entries: []domain.DiaryEntry{e}, PageURL: "https://a.example/people/ann"}, "https://a.example/diary?movie_id=" + m.ID.String()},
		{"no entries", html.EmbedView{Profile: html.ProfileView{ID: id, Name: "Ann"}, PageURL: "https://a.example" + html.UserPath(id)}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, doc := mustParse(t, func(b *bytes.Buffer) error { return r.Embed(b, tc.view) })
			if tc.wantFilm == "" {
				if got := text(first(t, doc, classed("empty"), "empty note")); got != "No viewings yet." {
					t.Errorf("empty note = %q", got)
				}
				if len(all(doc, tag("ol"))) != 0 {
					t.Errorf("empty list drawn")
				}
				return
			}
			if got := attrOr(first(t, first(t, doc, tag("ol"), "list"), tag("a"), "film link"), "href"); got != tc.wantFilm {
				t.Errorf("film link = %q, want %q", got, tc.wantFilm)
			}
		})
	}
}

func TestContentSecurityPolicyFrameAncestors(t *testing.T) {
	t.Parallel()
	r := mustRenderer(t)
	csp := r.ContentSecurityPolicy()
	if !strings.HasSuffix(csp, "; frame-ancestors 'none'") {
		t.Fatalf("CSP %q does not forbid framing", csp)
	}
	same := strings.TrimSuffix(csp, "'none'")
	tests := []struct {
		name    string
		origins []string
		want    string
	}{
		{"no origins", nil, "'none'"},
		{"origins are listed", []string{"https://blog.example", " https://*.example.org ", "'self'"}, "https://blog.example https://*.example.org 'self'"},
		{"origins that would break the policy are left out", []string{"https://a.example; script-src *", "https://b.example", "'unsafe-inline'", "x,y", "  ", "https://c.example\r\nX: y", "https://ü.example"}, "https://b.example"},
		{"only bad origins forbid framing", []string{"*; script-src *", ""}, "'none'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := r.ContentSecurityPolicyFramedBy(tc.origins)
			if want := same + tc.want; got != want {
				t.Errorf("CSP = %q, want %q", got, want)
			}
			if strings.Contains(got, "script-src") || strings.ContainsAny(got, "\r\n,") {
				t.Errorf("CSP %q was broken into", got)
			}
		})
	}
}
