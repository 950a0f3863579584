package questionnaire

import (
	"bytes"
	"fmt"
)

// strictJSON turns the lenient JSON of VSAQ's published questionnaires
// into JSON: it removes // and /* */ comments, joins strings written as
// "abc " + "def", and drops trailing commas. Text inside strings, such as
// "https://example.org", is kept as it is. src maps every output byte to
// its offset in data, so that decoding errors can name the input line.
func strictJSON(data []byte) (out []byte, src []int, err error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	out = make([]byte, 0, len(data))
	src = make([]int, 0, len(data))
	emit := func(c byte, at int) {
		out = append(out, c)
		src = append(src, at)
	}
	// skip returns the offset of the next byte in data from i that is
	// neither white space nor inside a comment.
	skip := func(i int) (int, error) {
		for i < len(data) {
			switch {
			case isSpace(data[i]):
				i++
			case bytes.HasPrefix(data[i:], []byte("//")):
				for i < len(data) && data[i] != '\n' {
					i++
				}
			case bytes.HasPrefix(data[i:], []byte("/*")):
				end := bytes.Index(data[i+2:], []byte("*/"))
				if end < 0 {
					return 0, fmt.Errorf("line %d: comment is not closed", lineAt(data, i))
				}
				i += 2 + end + 2
			default:
				return i, nil
			}
		}
		return i, nil
	}

	inString := false
	stringStart := 0
	for i := 0; i < len(data); {
		c := data[i]
		if inString {
			emit(c, i)
			switch c {
			case '\\':
				if i+1 < len(data) {
					emit(data[i+1], i+1)
				}
				i += 2
				continue
			case '"':
				inString = false
			case '\n':
				return nil, nil, fmt.Errorf("line %d: string is not closed on its line", lineAt(data, stringStart))
			}
			i++
			continue
		}
		switch {
		case c == '"':
			inString, stringStart = true, i
			emit(c, i)
			i++
		case c == '/' && i+1 < len(data) && data[i+1] == '/':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(data) && data[i+1] == '*':
			end := bytes.Index(data[i+2:], []byte("*/"))
			if end < 0 {
				return nil, nil, fmt.Errorf("line %d: comment is not closed", lineAt(data, i))
			}
			i += 2 + end + 2
		case c == '+':
			end := len(bytes.TrimRight(out, " \t\r\n"))
			if end > 0 && (out[end-1] == 'e' || out[end-1] == 'E') && end == len(out) {
				emit(c, i) // exponent: 1e+5
				i++
				continue
			}
			if end == 0 || out[end-1] != '"' {
				return nil, nil, fmt.Errorf("line %d: '+' may only join two strings", lineAt(data, i))
			}
			j, err := skip(i + 1)
			if err != nil {
				return nil, nil, err
			}
			if j >= len(data) || data[j] != '"' {
				return nil, nil, fmt.Errorf("line %d: '+' must be followed by a string", lineAt(data, i))
			}
			out, src = out[:end-1], src[:end-1] // reopen the string before '+'
			inString, stringStart = true, j
			i = j + 1
		case c == ',':
			j, err := skip(i + 1)
			if err != nil {
				return nil, nil, err
			}
			if j < len(data) && (data[j] == '}' || data[j] == ']') {
				i++ // trailing comma
				continue
			}
			emit(c, i)
			i++
		default:
			emit(c, i)
			i++
		}
	}
	if inString {
		return nil, nil, fmt.Errorf("line %d: string is not closed", lineAt(data, stringStart))
	}
	return out, src, nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// lineAt is the line, from 1, of byte offset i in data.
func lineAt(data []byte, i int) int {
	return bytes.Count(data[:min(i, len(data))], []byte("\n")) + 1
}
