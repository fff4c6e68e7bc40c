package coreclient

import "github.com/mauth/mauth/internal/api/public"

// The client is the enrollment layer's Core in the split deployment.
var _ public.Core = (*Client)(nil)
