// Package sqlrows holds what moviediary's SQL stores (adapters/sqlite and
// adapters/postgres) share and what does not depend on the SQL dialect:
//
//   - row structs (Movie, Review, Entry, User, OutboxEvent, APIToken,
//     IdempotencyRecord, Webhook) holding a row's
//     columns as decoded Go values — uuid.UUID, time.Time, sql.NullString —
//     and their converters back to domain values. A converter re-validates
//     every column through the domain's constructors and reports every
//     column that fails at once, as a *domain.ValidationError whose fields
//     are named for the columns; Corrupt turns that into the infrastructure
//     failure a store returns;
//   - ResolveMovie, the decision SaveViewing makes about the movie a viewing
//     is of, behind MovieTx, the seam through which each store runs its own
//     SQL;
//   - the checks of what a store is asked to save (CheckMovie, CheckViewing,
//     CheckUser, CheckAPIToken, CheckWebhook) and the outbox's OneEvent;
//   - the column encodings both stores share: RatingArg (a rating as the
//     nullable rating_halves column, NULL for no rating), PlexAccountArg
//     (NULL for a webhook taking every Plex account's plays), APITokenRow
//     and WebhookRow;
//   - the de-duplication of reported plays: PlayRow, the row a recorded
//     play leaves (its FilmKey names the film), and PlayWindow, within
//     which a stored play is the same play;
//   - the idempotency rule of SaveViewing: IdempotencyCutoff decides
//     whether a stored key still holds, IdempotencyConflict is the error
//     when it does.
//
// Each store keeps its own SQL, its own row structs to scan into and its
// own column encodings: SQLite stores UUIDs as 16-byte blobs and times as
// integers, PostgreSQL uses uuid and timestamptz, which its driver decodes.
// A store decodes its row into these structs, recording a column it cannot
// decode in the struct's DecodeErrors, and then calls the shared converter.
//
// The converters allocate nothing for a valid row beyond what the domain's
// constructors do, so the diary's page path stays as fast as before.
package sqlrows
