package main

import "syscall"

func syscallECONNRESET() error { return syscall.ECONNRESET }
