// Copy and download buttons, and confirmations. A static file: the CSP allows no inline script.
'use strict';
(function () {
  function announce(button, text) {
    var old = button.textContent;
    button.textContent = text;
    setTimeout(function () {
      button.textContent = old;
    }, 2000);
  }
  function listText(id) {
    return (
      Array.prototype.map
        .call(document.querySelectorAll('#' + id + ' code'), function (c) {
          return c.textContent.trim();
        })
        .join('\n') + '\n'
    );
  }
  function copy(button, text) {
    navigator.clipboard.writeText(text).then(
      function () {
        announce(button, 'Copied');
      },
      function () {
        announce(button, 'Copy failed: select and copy by hand');
      },
    );
  }
  document.addEventListener('click', function (event) {
    var t = event.target.closest('button');
    if (!t) return;
    if (t.dataset.copy) {
      var el = document.getElementById(t.dataset.copy);
      copy(t, (el.value !== undefined ? el.value : el.textContent).replace(/\s+/g, t.dataset.copy === 'totp-key' ? '' : ' ').trim());
    } else if (t.dataset.copyList) {
      copy(t, listText(t.dataset.copyList));
    } else if (t.dataset.downloadList) {
      var a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([listText(t.dataset.downloadList)], { type: 'text/plain' }));
      a.download = t.dataset.filename || 'codes.txt';
      document.body.appendChild(a);
      a.click();
      a.remove();
    } else if (t.dataset.confirm && !window.confirm(t.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // the console's rollout progress: poll until the rollout is done
  var rollout = document.getElementById('rollout');
  if (rollout) {
    var bar = document.getElementById('rollout-bar');
    var text = document.getElementById('rollout-text');
    var poll = function () {
      fetch(rollout.dataset.progressUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (r) {
          return r.ok ? r.json() : null;
        })
        .then(function (p) {
          if (!p || !p.rollout) return;
          var r = p.rollout;
          bar.max = Math.max(1, r.total);
          bar.value = r.applied;
          text.textContent = p.rolloutText; // the server's wording (counting members while the total is 0)
          rollout.dataset.status = r.status;
          Object.keys(p.members.byState).forEach(function (s) {
            var cell = document.querySelector('[data-state="' + s + '"]');
            if (cell) cell.textContent = p.members.byState[s];
          });
          if (r.status !== 'completed' && r.status !== 'failed') setTimeout(poll, 1000);
        })
        .catch(function () {
          setTimeout(poll, 5000);
        });
    };
    poll();
  }
})();
