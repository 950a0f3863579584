package app

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// dataLock keeps a second process off a data folder whose embedded engines
// are in use: two FerretDB instances on the same SQLite files, or two S3
// servers on the same folder, would corrupt each other.
type dataLock struct{ f *os.File }

// inUseError says another process holds the data folder.
type inUseError struct{ dir, pid string }

func (e *inUseError) Error() string {
	return fmt.Sprintf("data folder %s is in use by another Dossier process (pid %s); stop it first, or give this one its own DOSSIER_DATA_DIR", e.dir, e.pid)
}

func lockDataDir(dir string) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	path := filepath.Join(dir, "dossier.lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &inUseError{dir: dir, pid: strings.TrimSpace(string(owner))}
		}
		return nil, fmt.Errorf("lock data folder %s: %w", dir, err)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return &dataLock{f: f}, nil
}

func (l *dataLock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
