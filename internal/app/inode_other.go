//go:build !unix

package app

import "os"

// inode returns 0: this platform has no inode numbers in os.FileInfo.
func inode(os.FileInfo) uint64 { return 0 }
