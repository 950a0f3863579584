package http

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "dossier_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "dossier_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func metricsHandler(reg *prometheus.Registry) fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}

// observe logs every request once and counts it. The route label is the
// pattern (/vendors/:id), never the raw path, so the metric stays small and
// carries no identifiers.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	dur := time.Since(start)
	st := c.Response().StatusCode()
	route := c.Route().Path
	if c.Route().Method == "USE" || st == fiber.StatusNotFound && route == "/" {
		route = "unmatched"
	}
	s.metrics.requests.WithLabelValues(route, c.Method(), strconv.Itoa(st)).Inc()
	s.metrics.latency.WithLabelValues(route, c.Method()).Observe(dur.Seconds())
	s.log.Info("request",
		"request_id", requestID(c),
		"method", c.Method(),
		"path", redactPath(c.Path()),
		"status", st,
		"duration_ms", float64(dur.Microseconds())/1000,
		"bytes", len(c.Response().Body()),
		"ip", c.IP())
	return nil
}

func requestID(c *fiber.Ctx) string {
	if v, ok := c.Locals("requestid").(string); ok {
		return v
	}
	return ""
}

// secretSegment matches path segments long and random enough to be tokens
// (vendor links, calendar feeds): they never reach the log.
var secretSegment = regexp.MustCompile(`/[A-Za-z0-9_-]{32,}`)

// redactPath hides secrets in a path for the log. Under /calendar/ the
// whole rest is the secret, and under /q/ the next segment is, whatever
// its length: a mistyped one is still most of a real one. Routes match
// whatever the letter case, so the prefixes do too.
func redactPath(p string) string {
	lower := strings.ToLower(p)
	switch {
	case strings.HasPrefix(lower, "/calendar/"):
		return "/calendar/[redacted]"
	case strings.HasPrefix(lower, "/q/"):
		rest := ""
		if i := strings.IndexByte(p[len("/q/"):], '/'); i >= 0 {
			rest = p[len("/q/")+i:]
		}
		return "/q/[redacted]" + secretSegment.ReplaceAllString(rest, "/[redacted]")
	}
	return secretSegment.ReplaceAllString(p, "/[redacted]")
}
