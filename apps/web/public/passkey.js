// The passkey steps of the enrollment page. The form#passkey-form carries the options the server
// got from mfa-service: data-webauthn="create" (a new passkey: navigator.credentials.create, the
// RegistrationResponseJSON goes back) or "get" (a step-up with an enrolled passkey:
// navigator.credentials.get, the AuthenticationResponseJSON goes back), in the form's hidden
// #webauthn-response field. A static file: the CSP allows no inline script.
'use strict';
(function () {
  var form = document.getElementById('passkey-form');
  if (!form) return;
  var create = form.dataset.webauthn === 'create';
  var status = document.getElementById('passkey-status');
  var field = document.getElementById('webauthn-response');
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
    if (!buffer) return undefined;
    var s = '';
    var a = new Uint8Array(buffer);
    for (var i = 0; i < a.length; i++) s += String.fromCharCode(a[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function withIds(list) {
    return (list || []).map(function (c) {
      return Object.assign({}, c, { id: bytes(c.id) });
    });
  }
  // where the browser lacks PublicKeyCredential.parse*OptionsFromJSON / toJSON (WebAuthn Level 3)
  function options(json) {
    if (create) {
      if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
      return Object.assign({}, json, {
        challenge: bytes(json.challenge),
        user: Object.assign({}, json.user, { id: bytes(json.user.id) }),
        excludeCredentials: withIds(json.excludeCredentials),
      });
    }
    if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    return Object.assign({}, json, { challenge: bytes(json.challenge), allowCredentials: withIds(json.allowCredentials) });
  }
  function toJSON(cred) {
    if (typeof cred.toJSON === 'function') return cred.toJSON();
    var r = cred.response;
    var response = create
      ? {
          clientDataJSON: b64url(r.clientDataJSON),
          attestationObject: b64url(r.attestationObject),
          transports: r.getTransports ? r.getTransports() : [],
        }
      : {
          clientDataJSON: b64url(r.clientDataJSON),
          authenticatorData: b64url(r.authenticatorData),
          signature: b64url(r.signature),
          userHandle: b64url(r.userHandle),
        };
    return {
      id: cred.id,
      rawId: b64url(cred.rawId),
      type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: response,
    };
  }
  function failure(err) {
    var name = err && err.name;
    if (name === 'NotAllowedError')
      return create
        ? 'No passkey was created (cancelled or timed out). Press the button to try again.'
        : 'No passkey answered (cancelled or timed out). Press the button to try again, or enter a code.';
    if (create && name === 'InvalidStateError')
      return 'This passkey or security key is already set up for your account. Use another one, or choose another method.';
    return create
      ? 'Your browser could not create a passkey. Try again, or choose another method.'
      : 'Your browser could not use a passkey. Try again, or enter a code.';
  }
  if (!window.PublicKeyCredential || !navigator.credentials) {
    say(
      'This browser cannot use passkeys. ' +
        (create ? 'Choose another method' : 'Enter a code') +
        ', or open this page in a current browser.',
    );
    form.querySelector('button').disabled = true;
    return;
  }
  var busy = false;
  form.addEventListener('submit', function (event) {
    if (field.value) return; // the credential is in: post it
    event.preventDefault();
    if (busy) return;
    busy = true;
    status.hidden = true;
    var publicKey;
    try {
      publicKey = options(JSON.parse(form.dataset.options));
    } catch (e) {
      busy = false;
      return say('This page could not read its passkey settings. Reload it and try again.');
    }
    (create ? navigator.credentials.create({ publicKey: publicKey }) : navigator.credentials.get({ publicKey: publicKey })).then(
      function (cred) {
        field.value = JSON.stringify(toJSON(cred));
        form.submit();
      },
      function (err) {
        busy = false;
        say(failure(err));
      },
    );
  });
})();
