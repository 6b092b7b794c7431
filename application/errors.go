package application

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMissingDependency is returned by a use case constructor given a nil
// port. It is a wiring mistake, caught at start-up.
var ErrMissingDependency = errors.New("missing dependency")

// dependency names a constructor argument for checkDependencies.
type dependency struct {
	name  string
	value any
}

// checkDependencies reports every nil dependency of useCase in one error.
// Interface values are passed as they are: a nil interface converts to a
// nil any.
func checkDependencies(useCase string, deps ...dependency) error {
	var missing []string
	for _, d := range deps {
		if d.value == nil {
			missing = append(missing, d.name)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s needs %s", ErrMissingDependency, useCase, strings.Join(missing, ", "))
}
