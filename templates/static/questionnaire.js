// Autosave for the vendor questionnaire (templates/link.html).
//
// Each answer is saved on its own as the vendor answers: on change, and
// while typing after a pause. Saves of one question go one at a time, the
// latest value last; a save that cannot reach the server is tried once more
// and then reported, and the answer stays on the page. The form's "Save this
// section" button keeps working as without this script.
(function () {
  'use strict';

  var form = document.querySelector('form[data-autosave]');
  if (!form || !window.fetch) {
    return;
  }
  document.documentElement.classList.add('js');

  var endpoint = form.getAttribute('data-autosave');
  var csrf = form.querySelector('input[name="_csrf"]').value;
  var TYPING_PAUSE = 1200; // ms after the last keystroke
  var RETRY_AFTER = 2000; // ms before the one retry of a failed request
  var state = {}; // by question id: {timer, busy, again, unsaved, failed}

  function st(id) {
    if (!state[id]) {
      state[id] = { timer: 0, busy: false, again: false, unsaved: false, failed: false };
    }
    return state[id];
  }

  function questionOf(el) {
    return el && el.closest ? el.closest('[data-q]') : null;
  }

  // answerField reports whether el is one of a question's answer or
  // comment inputs (not its upload controls, which belong to other forms).
  function answerField(el) {
    var name = el && el.name;
    return !!name && el.form === form && (name.indexOf('a.') === 0 || name.indexOf('c.') === 0);
  }

  function isTyping(el) {
    return el.tagName === 'TEXTAREA' || (el.tagName === 'INPUT' && (el.type === 'text' || el.type === 'number'));
  }

  function statusOf(q) {
    return q.querySelector('.qn-status');
  }

  function say(q, text, kind) {
    var s = statusOf(q);
    if (!s) {
      return;
    }
    s.textContent = text;
    s.classList.toggle('error', kind === 'error');
    s.classList.toggle('saved', kind === 'saved');
  }

  function inputsOf(q) {
    return q.querySelectorAll('[name="a.' + q.getAttribute('data-q') + '"]');
  }

  function collect(q) {
    var id = q.getAttribute('data-q');
    var values = [];
    var bad = false;
    Array.prototype.forEach.call(inputsOf(q), function (inp) {
      if (inp.type === 'radio' || inp.type === 'checkbox') {
        if (inp.checked) {
          values.push(inp.value);
        }
        return;
      }
      if (inp.validity && inp.validity.badInput) {
        bad = true; // a half-typed number reads as "": do not save it as cleared
      }
      values.push(inp.value);
    });
    var body = { question: id };
    if (q.getAttribute('data-kind') !== 'file') {
      body.values = values;
    }
    var c = q.querySelector('[name="c.' + id + '"]');
    if (c) {
      body.comment = c.value;
    }
    return { body: body, bad: bad };
  }

  function post(body) {
    return fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body)
    });
  }

  // postWithRetry tries once more when the network fails; an answer from
  // the server, even an error, is not retried.
  function postWithRetry(body) {
    return post(body).catch(function () {
      return new Promise(function (resolve) {
        setTimeout(resolve, RETRY_AFTER);
      }).then(function () {
        return post(body);
      });
    });
  }

  function timeOf(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) {
      d = new Date();
    }
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function markInvalid(q, invalid) {
    q.classList.toggle('invalid', invalid);
    Array.prototype.forEach.call(inputsOf(q), function (inp) {
      if (invalid) {
        inp.setAttribute('aria-invalid', 'true');
      } else {
        inp.removeAttribute('aria-invalid');
      }
    });
    if (!invalid) {
      var e = q.querySelector('p.error[id^="e-"]');
      if (e) {
        e.remove();
      }
    }
  }

  function applyProgress(data) {
    var answered = document.getElementById('qn-answered');
    var total = document.getElementById('qn-total');
    var bar = document.getElementById('qn-progress-bar');
    if (answered) {
      answered.textContent = data.answered;
    }
    if (total) {
      total.textContent = data.total;
    }
    if (bar) {
      bar.max = Math.max(data.total, 1);
      bar.value = data.answered;
      bar.textContent = data.answered + ' of ' + data.total;
    }
    Object.keys(data.sections || {}).forEach(function (id) {
      var li = document.querySelector('.qn-nav li[data-section="' + id + '"]');
      if (!li) {
        return;
      }
      var n = data.sections[id];
      li.querySelector('.qn-n').textContent = n.answered + '/' + n.total;
      li.classList.toggle('done', !!n.complete);
    });
    if (data.visible) {
      var shown = {};
      data.visible.forEach(function (id) {
        shown[id] = true;
      });
      Array.prototype.forEach.call(form.querySelectorAll('[data-q]'), function (q) {
        q.hidden = !shown[q.getAttribute('data-q')];
      });
    }
  }

  function send(id) {
    var s = st(id);
    clearTimeout(s.timer);
    s.timer = 0;
    if (s.busy) {
      s.again = true; // one more save after this one, with what is typed then
      return s.done;
    }
    var q = form.querySelector('[data-q="' + id + '"]');
    if (!q) {
      return Promise.resolve();
    }
    var c = collect(q);
    if (c.bad) {
      s.unsaved = true;
      say(q, 'Not saved yet: enter a number, such as 12 or 3.5.', 'error');
      return Promise.resolve();
    }
    s.busy = true;
    s.unsaved = false;
    say(q, 'Saving…');
    s.done = postWithRetry(c.body).then(function (resp) {
      return resp.json().catch(function () {
        return {};
      }).then(function (data) {
        if (resp.ok) {
          s.failed = false;
          markInvalid(q, false);
          var was = form.querySelector('input[name="was.' + id + '"]');
          if (was && data.fingerprint) {
            was.value = data.fingerprint;
          }
          var note = q.querySelector('.qn-from-last');
          if (note) {
            note.remove();
          }
          var need = q.querySelector('.qn-need');
          if (need) {
            need.hidden = !data.needs_file;
          }
          var attach = q.querySelector('details.qn-attach');
          if (attach && data.needs_file) {
            attach.open = true;
          }
          applyProgress(data);
          say(q, 'Saved ' + timeOf(data.saved_at), 'saved');
          return;
        }
        s.failed = true;
        var msg = data.error && data.error.message ? data.error.message : 'Not saved (error ' + resp.status + ').';
        if (resp.status === 422) {
          markInvalid(q, true);
        } else if (resp.status === 429) {
          msg = 'Not saved: too many saves in a short time. Wait a minute, then change the answer again or use “Save this section”.';
        }
        say(q, msg, 'error');
      });
    }, function () {
      s.failed = true;
      say(q, 'Not saved: Dossier cannot be reached. Your answer is still here; check your connection, then change it again or use “Save this section”.', 'error');
    }).then(function () {
      s.busy = false;
      if (s.again) {
        s.again = false;
        return send(id);
      }
    });
    return s.done;
  }

  function schedule(id, delay) {
    var s = st(id);
    s.unsaved = true;
    clearTimeout(s.timer);
    s.timer = setTimeout(function () {
      send(id);
    }, delay);
  }

  function pending() {
    return Object.keys(state).some(function (id) {
      var s = state[id];
      return s.timer || s.busy || s.unsaved || s.failed;
    });
  }

  // flush saves every answer not yet saved, and resolves when all are.
  function flush() {
    return Promise.all(Object.keys(state).map(function (id) {
      var s = state[id];
      if (s.timer || s.unsaved || s.failed) {
        return send(id);
      }
      return s.busy ? s.done : null;
    }));
  }

  form.addEventListener('input', function (e) {
    if (!answerField(e.target) || !isTyping(e.target)) {
      return;
    }
    var q = questionOf(e.target);
    if (q) {
      schedule(q.getAttribute('data-q'), TYPING_PAUSE);
    }
  });

  form.addEventListener('change', function (e) {
    if (!answerField(e.target)) {
      return;
    }
    var q = questionOf(e.target);
    if (q) {
      send(q.getAttribute('data-q'));
    }
  });

  // Leaving a text field saves it at once, without waiting for the pause.
  form.addEventListener('focusout', function (e) {
    if (!answerField(e.target) || !isTyping(e.target)) {
      return;
    }
    var q = questionOf(e.target);
    if (q && st(q.getAttribute('data-q')).timer) {
      send(q.getAttribute('data-q'));
    }
  });

  // Other forms on the page (upload, remove, confirm, submit) reload it:
  // save what is typed first.
  document.addEventListener('submit', function (e) {
    var f = e.target;
    if (f === form || !pending()) {
      return;
    }
    e.preventDefault();
    flush().then(function () {
      HTMLFormElement.prototype.submit.call(f);
    });
  }, true);

  // Links to other sections, too.
  document.addEventListener('click', function (e) {
    var a = e.target.closest ? e.target.closest('a[href]') : null;
    if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || !pending() ||
        a.getAttribute('href').charAt(0) === '#') {
      return;
    }
    e.preventDefault();
    flush().then(function () {
      window.location.href = a.href;
    });
  });

  window.addEventListener('beforeunload', function (e) {
    if (pending()) {
      e.preventDefault();
      e.returnValue = '';
    }
  });

  // Back online: try the answers that failed again.
  window.addEventListener('online', function () {
    Object.keys(state).forEach(function (id) {
      if (state[id].failed) {
        send(id);
      }
    });
  });
})();
