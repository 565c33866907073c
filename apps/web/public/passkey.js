// The passkey step of the enrollment page: the registration options the server put on the form
// go to navigator.credentials.create, the new credential goes back in the form as JSON
// (RegistrationResponseJSON). A static file: the CSP allows no inline script.
'use strict';
(function () {
  var form = document.getElementById('passkey-form');
  if (!form) return;
  var status = document.getElementById('passkey-status');
  function say(text) {
    status.textContent = text;
    status.hidden = false;
  }
  function bytes(b64url) {
    var s = atob(b64url.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((b64url.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out.buffer;
  }
  function b64url(buffer) {
    var s = '';
    var a = new Uint8Array(buffer);
    for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  // where the browser lacks PublicKeyCredential.parseCreationOptionsFromJSON / toJSON (Level 3)
  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    var o = Object.assign({}, json, { challenge: bytes(json.challenge), user: Object.assign({}, json.user, { id: bytes(json.user.id) }) });
    o.excludeCredentials = (json.excludeCredentials || []).map(function (c) {
      return Object.assign({}, c, { id: bytes(c.id) });
    });
    return o;
  }
  function toJSON(cred) {
    if (typeof cred.toJSON === 'function') return cred.toJSON();
    var r = cred.response;
    return {
      id: cred.id,
      rawId: b64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {
        clientDataJSON: b64url(r.clientDataJSON),
        attestationObject: b64url(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [],
      },
    };
  }
  if (!window.PublicKeyCredential || !navigator.credentials) {
    say('This browser cannot create passkeys. Choose another method, or open this page in a current browser.');
    form.querySelector('button').disabled = true;
    return;
  }
  var busy = false;
  form.addEventListener('submit', function (event) {
    if (document.getElementById('registrationResponse').value) return; // the credential is in: post it
    event.preventDefault();
    if (busy) return;
    busy = true;
    status.hidden = true;
    var options;
    try {
      options = creationOptions(JSON.parse(form.dataset.options));
    } catch (e) {
      busy = false;
      return say('This page could not read its passkey settings. Choose another method, then try again.');
    }
    navigator.credentials.create({ publicKey: options }).then(
      function (cred) {
        document.getElementById('registrationResponse').value = JSON.stringify(toJSON(cred));
        form.submit();
      },
      function (err) {
        busy = false;
        say(
          err && err.name === 'NotAllowedError'
            ? 'No passkey was created (cancelled or timed out). Press the button to try again.'
            : err && err.name === 'InvalidStateError'
              ? 'This passkey or security key is already set up for your account. Use another one, or choose another method.'
              : 'Your browser could not create a passkey. Try again, or choose another method.',
        );
      },
    );
  });
})();
