package http

// How the codec receives a body: in memory while it fits (see
// body_spool.go), otherwise in pieces written to a spool file. A piece is
// a "package" of the protocols contract whose Decode returns no message.

// holdOrSpool runs while a body arrives (buf: the bytes not yet taken). It
// returns 0 while the body stays in memory, or the length of the piece to
// take now once it is spooled.
func (c *codec) holdOrSpool(buf []byte) (int, error) {
	p := c.parser
	if p.spool == nil {
		if c.fitsInMemory(buf) {
			return 0, nil
		}
		if err := c.startSpool(); err != nil {
			return 0, err
		}
	}
	k := p.absorbable(buf)
	if p.consumed == 0 && k <= int(p.headEnd) {
		// No body bytes yet: wait for them (a client that expects 100
		// Continue sends none before it is told to).
		return 0, nil
	}
	return k, nil
}

// startSpool moves the body arriving from memory to a spool file.
func (c *codec) startSpool() error {
	s, err := c.proto.openSpool()
	if err != nil {
		return err
	}
	p := c.parser
	c.proto.unreserve(p.reserved)
	p.reserved = 0
	p.spool = s
	return nil
}

// fitsInMemory reports whether the body may stay in memory: it is within
// MaxBodyInMemory and, when large enough to be counted, its place in the
// worker's MaxBodyMemory is reserved.
func (c *codec) fitsInMemory(buf []byte) bool {
	p := c.parser
	need := p.contentLength
	if p.chunked {
		need = p.bodyReceived(buf)
	}
	if need > c.proto.maxBodyInMemory() {
		return false
	}
	if need < minCountedBody || need <= p.reserved {
		return true
	}
	if !c.proto.reserve(need - p.reserved) {
		return false
	}
	p.reserved = need
	return true
}

// decodeSpooled takes one piece of a spooled request: the first carries
// the head, which becomes the pending request; every piece's body data is
// written to the file; the last completes the request.
func (c *codec) decodeSpooled(pkg []byte) (any, error) {
	p := c.parser
	from := 0
	if p.consumed == 0 {
		req := c.takeRequest()
		req.loadHead(p, pkg)
		p.pending = req
		from = int(p.headEnd)
	}
	var spans [8][]byte
	if err := p.spool.write(p.bodyData(spans[:0], pkg, len(pkg), from)); err != nil {
		return nil, err
	}
	if p.state != reqComplete {
		p.shift(len(pkg))
		return nil, nil
	}
	req := p.pending
	req.loadSpooledTail(p, pkg, p.spool)
	p.spool, p.pending = nil, nil // the request owns the file now
	c.dropParser()
	return c.dispatchable(req)
}
