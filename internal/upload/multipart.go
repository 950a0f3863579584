package upload

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"

	"dossier/internal/errs"
	"dossier/internal/text"
)

// MultipartOptions say what a form may hold. Zero values take the defaults.
type MultipartOptions struct {
	// FileField names the field whose parts are files; a file in any other
	// field is refused.
	FileField string
	// Limit is the largest size of each file.
	Limit int64
	// MaxFiles bounds the files in FileField (default 1).
	MaxFiles int
	// MaxFields bounds the text fields (default 50).
	MaxFields int
	// MaxValue bounds each text field's value in bytes (default 64 KiB).
	MaxValue int64
	// Dir is where files are spooled; "" is the system's temporary folder.
	Dir string
}

// Form is a multipart form read from a stream: its small text fields in
// memory, its files spooled to temporary files. The caller calls Remove.
type Form struct {
	Values map[string][]string
	Files  []*File
}

// Value is the first value of a text field, or "".
func (f *Form) Value(name string) string {
	if vs := f.Values[name]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

// Remove deletes the spooled files.
func (f *Form) Remove() {
	if f == nil {
		return
	}
	for _, file := range f.Files {
		file.Remove()
	}
}

// ReadMultipart reads a multipart/form-data body from a stream: text fields
// into memory (bounded in number and size), the files of opts.FileField
// through Spool into temporary files (each at most opts.Limit), so memory
// stays flat whatever the body's size. The whole body is bounded by what
// the options allow. A file part sent with no file chosen (empty, without a
// name) is skipped. The files are not checked: pass each to Checker.Check.
//
// On success the body has been read to its end. On an error it may not
// have been: a server reading bodies as streams must then close the
// connection, or the unread rest is taken for the next request.
func ReadMultipart(body io.Reader, contentType string, opts MultipartOptions) (*Form, error) {
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = 1
	}
	if opts.MaxFields <= 0 {
		opts.MaxFields = 50
	}
	if opts.MaxValue <= 0 {
		opts.MaxValue = 64 << 10
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return nil, errs.E(errs.Invalid, "The form must be sent as multipart/form-data.")
	}
	form := &Form{Values: map[string][]string{}}
	fail := func(err error) (*Form, error) {
		form.Remove()
		return nil, err
	}
	// The whole body is bounded too, whatever the server's own limit (with
	// a streamed body, Fiber enforces none): the files, the fields, and
	// room for part headers and boundaries.
	bound := int64(opts.MaxFiles)*opts.Limit + int64(opts.MaxFields)*opts.MaxValue + 1<<20
	in := &boundedReader{r: body, left: bound}
	// readFailed is the error for a part that could not be read to its end.
	readFailed := func(err error) error {
		if in.over {
			return &errs.Error{Code: errs.TooLarge, Message: fmt.Sprintf("The form is larger than %s.", FormatSize(bound)), Err: err}
		}
		return readError(err)
	}
	mr := multipart.NewReader(in, params["boundary"])
	fields := 0
	for parts := 0; ; parts++ {
		// Raw parts: browsers send no Content-Transfer-Encoding, and a
		// decoded one would make the spooled bytes differ from the sent.
		p, err := mr.NextRawPart()
		if errors.Is(err, io.EOF) && parts == 0 {
			// Browsers always send at least the file field's part; a body
			// without any is empty or was already read by someone else.
			return fail(errs.E(errs.Invalid, "The form arrived empty; try again."))
		}
		if errors.Is(err, io.EOF) {
			// Read the body to its end: what follows the closing boundary
			// (a chunked body's last chunk, an epilogue) would otherwise be
			// read by the server as the connection's next request.
			if n, err := io.CopyN(io.Discard, in, maxEpilogue+1); n > maxEpilogue || err != nil && !errors.Is(err, io.EOF) {
				return fail(errs.E(errs.Invalid, "The form goes on after its end."))
			}
			return form, nil
		}
		if err != nil {
			return fail(readFailed(err))
		}
		if parts >= opts.MaxFiles+opts.MaxFields {
			return fail(errs.E(errs.Invalid, "The form has too many parts."))
		}
		name := p.FormName()
		if len(name) > 200 {
			return fail(errs.E(errs.Invalid, "The form has a field with too long a name."))
		}
		if p.FileName() != "" || name == opts.FileField && name != "" {
			if name != opts.FileField {
				return fail(errs.E(errs.Invalid, "The form has an unexpected file in %q.", text.Shorten(name, 41)))
			}
			f, err := Spool(p, opts.Limit, opts.Dir)
			if err != nil && in.over {
				err = readFailed(err)
			}
			if err != nil {
				return fail(withField(err, name))
			}
			if f.Size == 0 && p.FileName() == "" {
				f.Remove() // the file input was left empty
				continue
			}
			if len(form.Files) == opts.MaxFiles {
				f.Remove()
				if opts.MaxFiles == 1 {
					return fail(errs.Field(name, "Upload one file at a time."))
				}
				return fail(errs.Field(name, "Upload at most %d files at once.", opts.MaxFiles))
			}
			f.Name, f.Field = CleanName(p.FileName()), name
			form.Files = append(form.Files, f)
			continue
		}
		if fields++; fields > opts.MaxFields {
			return fail(errs.E(errs.Invalid, "The form has too many fields."))
		}
		v, err := io.ReadAll(io.LimitReader(p, opts.MaxValue+1))
		if err != nil {
			return fail(readFailed(err))
		}
		if int64(len(v)) > opts.MaxValue {
			return fail(errs.Field(name, "This field is longer than %s.", FormatSize(opts.MaxValue)))
		}
		form.Values[name] = append(form.Values[name], string(v))
	}
}

// maxEpilogue is how much may follow a form's closing boundary.
const maxEpilogue = 64 << 10

// boundedReader passes at most left bytes, then fails, noting it. Its end
// is final: fasthttp's chunked body stream, read again after its end,
// waits for the connection's next request instead of repeating io.EOF,
// and multipart's bufio reader does read again.
type boundedReader struct {
	r    io.Reader
	left int64
	over bool
	eof  bool
}

var errBodyTooLarge = errors.New("form body over its bound")

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	if b.left <= 0 {
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n == 0 {
			b.eof = errors.Is(err, io.EOF)
			return 0, err
		}
		b.over = true
		return 0, errBodyTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	b.eof = errors.Is(err, io.EOF)
	return n, err
}

// withField names the form field an error from Spool is about.
func withField(err error, field string) error {
	var e *errs.Error
	if errors.As(err, &e) && e.Field == "" && e.Code != errs.Internal {
		c := *e
		c.Field = field
		return &c
	}
	return err
}
