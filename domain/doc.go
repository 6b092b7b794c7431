// Package domain is the heart of moviediary: the value objects, entities,
// rules, events, error kinds and ports of a personal movie diary.
//
// It depends on nothing but the standard library and github.com/google/uuid,
// so services can embed it without pulling in a web framework, a database
// driver or a JWT library. Value objects are built only through validating
// constructors (New…/Parse…); their fields are unexported so an invalid value
// cannot exist. Ports are small interfaces implemented by adapters; every port
// has an exported contract suite in package porttest that adapters run from
// their own tests.
package domain
