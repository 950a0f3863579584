// Package embedded starts the zero-setup engines Dossier runs on when no
// MongoDB or S3 endpoint is configured: FerretDB on SQLite files and
// versitygw on a plain folder, both in-process and on loopback only.
//
// Production builds leave both out with `-tags noembed`; Available then
// reports false and the Start functions return an error that says which
// setting to give instead.
package embedded
