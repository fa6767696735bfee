// mocaplab clinic pages: operator buttons and the 3D replay (plain canvas, no library).

const csrf = document.querySelector("meta[name=csrf]")?.content || "";

for (const button of document.querySelectorAll("button[data-action]")) {
  button.addEventListener("click", async () => {
    const status = button.parentElement.querySelector(".status");
    button.disabled = true;
    try {
      const r = await fetch(button.dataset.action, {
        method: "POST", credentials: "same-origin", headers: {"x-mocaplab-csrf": csrf}});
      const body = await r.json().catch(() => ({}));
      if (!r.ok) {
        status.textContent = ` refused: ${body.detail || r.status}`;
      } else if (body.trials !== undefined) {  // re-index: what was and was not indexed
        const skipped = body.not_indexed || [], errors = body.errors || [];
        status.textContent = ` indexed ${body.trials} trials` +
          (errors.length ? `; ${errors.length} errors: ${errors.join("; ")}` : "") +
          (skipped.length ? `; ${skipped.length} trial folder(s) not indexed (treated as ` +
                            `outside the lab): ${skipped.join("; ")}` : "");
      } else {
        status.textContent = ` started (${body.state})`;
      }
    } catch (err) {
      status.textContent = ` failed: ${err}`;
    } finally {
      button.disabled = false;
    }
  });
}

// side colours: replay.json's "colours" (mocaplab.sides: left red, right blue); these defaults
// are the same values
const COLOURS = {left: "#c0392b", right: "#1f6fb2", center: "#4d4d4d"};

function setupReplay(root) {
  const canvas = root.querySelector("canvas");
  const play = root.querySelector(".play");
  const scrub = root.querySelector(".scrub");
  const label = root.querySelector(".time");
  const ctx = canvas.getContext("2d");
  let data = null, frame = 0, playing = false, last = 0, yaw = -0.6, pitch = 0.25, drag = null;

  function size() {
    const r = window.devicePixelRatio || 1;
    canvas.width = canvas.clientWidth * r;
    canvas.height = canvas.clientHeight * r;
  }

  function pelvis(pts) {   // mean of the reconstructed points (x, y) of the frame
    let x = 0, y = 0, n = 0;
    for (let k = 0; k < pts.length; k += 3) {
      if (pts[k] !== null) { x += pts[k]; y += pts[k + 1]; n++; }
    }
    return n ? [x / n, y / n] : [0, 0];
  }

  function project(p, c, s) {   // orthographic view turned by yaw (about Z) and pitch
    const x = p[0] - c[0], y = p[1] - c[1], z = p[2];
    const u = Math.cos(yaw) * x - Math.sin(yaw) * y;
    const d = Math.sin(yaw) * x + Math.cos(yaw) * y;
    const v = Math.cos(pitch) * z - Math.sin(pitch) * d;
    return [canvas.width / 2 + s * u, canvas.height * 0.88 - s * v];
  }

  function draw() {
    if (!data) return;
    const pts = data.points[frame], c = pelvis(pts), s = canvas.height / 2.3;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = "#d5dbe0"; ctx.lineWidth = 1;
    const gx = Math.round(c[0] * 2) / 2, gy = Math.round(c[1] * 2) / 2;
    for (let i = -4; i <= 4; i++) {
      for (const [a, b] of [[[gx + i / 2, gy - 2, 0], [gx + i / 2, gy + 2, 0]],
                            [[gx - 2, gy + i / 2, 0], [gx + 2, gy + i / 2, 0]]]) {
        const pa = project(a, c, s), pb = project(b, c, s);
        ctx.beginPath(); ctx.moveTo(...pa); ctx.lineTo(...pb); ctx.stroke();
      }
    }
    ctx.lineWidth = 3 * (window.devicePixelRatio || 1);
    for (const [a, b] of data.edges) {
      if (pts[3 * a] === null || pts[3 * b] === null) continue;
      const sa = data.sides[a], sb = data.sides[b];
      ctx.strokeStyle = (data.colours || COLOURS)[sa === sb ? sa : "center"];
      const pa = project(pts.slice(3 * a, 3 * a + 3), c, s);
      const pb = project(pts.slice(3 * b, 3 * b + 3), c, s);
      ctx.beginPath(); ctx.moveTo(...pa); ctx.lineTo(...pb); ctx.stroke();
    }
    scrub.value = frame;
    label.textContent = `${(frame / data.fps).toFixed(2)} s`;
  }

  function tick(t) {
    if (!playing) return;
    if (t - last >= 1000 / data.fps) {
      frame = (frame + 1) % data.points.length;
      last = t;
      draw();
    }
    requestAnimationFrame(tick);
  }

  play.addEventListener("click", () => {
    playing = !playing && data !== null;
    play.textContent = playing ? "Pause" : "Play";
    if (playing) requestAnimationFrame(tick);
  });
  scrub.addEventListener("input", () => { frame = Number(scrub.value); draw(); });
  canvas.addEventListener("pointerdown", (e) => { drag = [e.clientX, e.clientY]; });
  window.addEventListener("pointerup", () => { drag = null; });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    yaw += (e.clientX - drag[0]) * 0.01;
    pitch = Math.max(-0.2, Math.min(1.4, pitch + (e.clientY - drag[1]) * 0.01));
    drag = [e.clientX, e.clientY];
    draw();
  });
  window.addEventListener("resize", () => { size(); draw(); });

  size();
  fetch(root.dataset.src, {credentials: "same-origin"})
    .then((r) => r.ok ? r.json() : Promise.reject(r.status))
    .then((d) => {
      data = d;
      scrub.max = d.points.length - 1;
      root.dataset.frames = d.points.length;
      draw();
    })
    .catch((err) => { label.textContent = `replay unavailable (${err})`; });
}

const replay = document.getElementById("replay");
if (replay) setupReplay(replay);
