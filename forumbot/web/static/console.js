// The case page, made quick to work through: the reply box grows with its text, the first
// keystroke in it tells the server the agent is on this draft (the claim), and single keys
// approve, reject, edit and move between cases. Keys do nothing while the agent types in a
// field (Esc leaves the field). Without this script every action still works by its button.
(function () {
  "use strict";

  var text = document.getElementById("draft-text");
  var box = text && text.tagName === "TEXTAREA" ? text : null;

  function fit() {
    // Grow to the text; the style sheet caps the height so the buttons stay in view.
    box.style.height = "auto";
    box.style.height = box.scrollHeight + 2 + "px";
  }

  function csrfToken() {
    var field = document.querySelector("#approve-form input[name=csrf_token]");
    return field ? field.value : "";
  }

  function showNotice(message) {
    var notice = document.getElementById("claim-live");
    if (notice && message) {
      notice.textContent = message;
      notice.hidden = false;
    }
  }

  function claimOnFirstInput() {
    var url = box.getAttribute("data-claim-url");
    if (!url) {
      return;
    }
    box.addEventListener(
      "input",
      function () {
        fetch(url, {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        })
          .then(function (response) {
            return response.json();
          })
          .then(function (answer) {
            if (!answer.claimed) {
              showNotice(answer.message);
            }
          })
          .catch(function () {
            // The claim only warns other agents; the revision check still guards approval.
          });
      },
      { once: true }
    );
  }

  function typing(target) {
    return (
      target &&
      target.closest &&
      target.closest("input, textarea, select, [contenteditable]") !== null
    );
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) {
      window.location.assign(link.href);
    }
  }

  function press(id) {
    var button = document.getElementById(id);
    if (button) {
      button.click();
    }
  }

  function focusEnd(field) {
    if (field) {
      field.focus();
      if (typeof field.setSelectionRange === "function") {
        field.setSelectionRange(field.value.length, field.value.length);
      }
    }
  }

  var keys = {
    a: function () {
      press("approve-next");
    },
    e: function () {
      focusEnd(box);
    },
    r: function () {
      focusEnd(document.querySelector("#reject-form input[name=reason]"));
    },
    j: function () {
      go("step-next");
    },
    n: function () {
      go("step-next");
    },
    k: function () {
      go("step-previous");
    },
  };

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) {
      return;
    }
    if (typing(event.target)) {
      if (event.key === "Escape" && event.target.blur) {
        event.target.blur();
      }
      return;
    }
    var action = keys[event.key];
    if (action && !event.repeat) {
      event.preventDefault();
      action();
    }
  });

  if (box) {
    fit();
    box.addEventListener("input", fit);
    claimOnFirstInput();
  }
})();
