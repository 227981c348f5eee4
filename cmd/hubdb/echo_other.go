//go:build !linux

package main

import "os"

// echoOff cannot turn echo off without a terminal system call here: the
// password is echoed.
func echoOff(*os.File) (restore func()) { return func() {} }
