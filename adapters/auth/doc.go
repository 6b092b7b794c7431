// Package auth implements moviediary's authentication ports: bearer tokens
// (domain.AuthService) as HS256-signed JWTs on github.com/golang-jwt/jwt/v5,
// and password hashing (domain.PasswordHasher) with argon2id on
// github.com/alexedwards/argon2id.
//
// Security rules kept here:
//   - tokens are signed and accepted with HS256 only: "none" and every other
//     algorithm are refused before any signature check;
//   - a token must carry exp, iat, iss "moviediary" and a sub that is a
//     canonical user UUID; anything else is refused with domain.ErrUnauthorized;
//   - signing secrets shorter than 32 bytes are refused;
//   - passwords are hashed with argon2id at or above the OWASP minimum (see
//     Argon2Params), and at most MaxConcurrent hash or verify computations run
//     at once, so a flood of logins cannot exhaust memory;
//   - verifying against the zero PasswordHash (an unknown account) spends one
//     full verification against a dummy hash, so timing does not reveal which
//     accounts exist.
package auth
