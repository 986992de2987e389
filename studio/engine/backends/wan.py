"""Video-only models (Wan 2.2 TI2V-5B) with a soundtrack from Stable Audio fitted to the clip.

Text-to-video runs `WanPipeline`; image and extend run `WanImageToVideoPipeline` sharing the same
components (extend conditions on the parent's last frame). A VACE model (`WanVACEPipeline`) makes text and
"reference" takes: a subject reference still (a cameo) conditions who appears. The soundtrack is generated from the same
prompt for the clip's exact length, so every take has sound.
Run here only with tiny random components shaped like TI2V-5B and Wan 2.1 VACE (tests/test_engine_wan.py:
text, extend through the image-to-video pipeline, a subject reference, cancel); never with the real weights, which this machine
does not have.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from studio.cancel import CancelToken
from studio.engine import timing
from studio.engine.loading import load_pipeline
from studio.engine.memory import MemoryPlan, apply_plan, check_host_ram, torch_dtype
from studio.engine.preview import unpacked_latents_preview
from studio.engine.registry import ModelSpec, Registry, require_installed
from studio.engine.styles import styled_prompts
from studio.errors import EngineError
from studio.recipe import Recipe

from .acceleration import accelerate
from .base import (
    Backend,
    GenerationResult,
    ProgressFn,
    SourceClip,
    frames_from_output,
    mode,
    read_image,
    register_backend,
    source_audio,
    step_callback,
    torch_generator,
    torch_inference,
)


class Soundtrack:
    """Stable Audio Open: a stereo track for a prompt, exactly `seconds` long."""

    def __init__(self, spec: ModelSpec, pipe: Any) -> None:
        self.spec = spec
        self.pipe = pipe
        pipe.set_progress_bar_config(disable=True)

    @classmethod
    def load(cls, spec: ModelSpec, plan: MemoryPlan) -> Soundtrack:
        from diffusers import StableAudioPipeline

        location = require_installed(spec)
        assert location is not None
        check_host_ram(spec, plan)
        pipe = load_pipeline(StableAudioPipeline, location, torch_dtype(plan))
        apply_plan(pipe, plan)
        return cls(spec, pipe)

    def make(self, prompt: str, negative: str, seconds: float, seed: int, cancel: CancelToken) -> tuple[np.ndarray, int]:
        """(n, 2) float32 audio and its rate; cancel is checked on every audio denoising step."""

        def on_step(_step: int, _timestep: Any, _latents: Any) -> None:
            cancel.raise_if_cancelled()

        length = min(seconds, self.spec.max_seconds)
        out = self.pipe(prompt=prompt, negative_prompt=negative or None, audio_end_in_s=length,
                        num_inference_steps=self.spec.default_steps, guidance_scale=self.spec.default_guidance,
                        generator=torch_generator(seed), callback=on_step, callback_steps=1)
        rate = int(self.pipe.vae.sampling_rate)
        audio = timing.as_stereo(out.audios[0].float().cpu().numpy().T)
        return timing.fit_audio(audio, rate, seconds), rate


@register_backend
class WanBackend(Backend):
    family = "wan"

    def __init__(self, spec: ModelSpec, pipe: Any, soundtrack: Soundtrack) -> None:
        super().__init__(spec)
        self.pipe = pipe
        self.soundtrack = soundtrack
        self._i2v: Any = None
        pipe.set_progress_bar_config(disable=True)

    def resume_support(self, request: Recipe) -> str | None:
        # NOT BUILT: the Wan pipelines take `latents=` and explicit sigmas too, but nobody tried a resumed Wan pass
        # against an uninterrupted one (no tiny Wan model here), and the soundtrack pass would need its own point.
        return f"'{self.spec.id}' (Wan) does not keep its steps at a pause (not built for Wan)"

    @classmethod
    def load(cls, spec: ModelSpec, plan: MemoryPlan, registry: Registry) -> WanBackend:
        import diffusers

        if spec.soundtrack_model is None:
            raise EngineError(f"'{spec.id}' makes no sound and names no soundtrack model.")
        audio_spec = registry.get_model(spec.soundtrack_model)
        location = require_installed(spec)
        require_installed(audio_spec)  # both missing models are named before anything loads
        assert location is not None
        check_host_ram(spec, plan)
        # WanPipeline (TI2V-5B) or WanVACEPipeline (a VACE model: text, and subject references)
        pipe = load_pipeline(getattr(diffusers, spec.pipeline_classes[0]), location, torch_dtype(plan))
        apply_plan(pipe, plan)
        accelerate(pipe, plan)
        return cls(spec, pipe, Soundtrack.load(audio_spec, plan))

    @property
    def loaded(self) -> bool:
        return self.pipe is not None

    def inference_context(self) -> Any:
        return torch_inference()

    def unload(self) -> None:
        self.pipe = None
        self._i2v = None
        self.soundtrack = None  # type: ignore[assignment]

    def _image_pipe(self) -> Any:
        if self._i2v is None:
            from diffusers import WanImageToVideoPipeline

            # The pipeline's dtype, or diffusers converts the shared warm model to float32.
            self._i2v = WanImageToVideoPipeline.from_pipe(self.pipe, dtype=self.pipe.dtype)
            self._i2v.set_progress_bar_config(disable=True)
        return self._i2v

    @mode("text")
    def _text(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
              cancel: CancelToken) -> GenerationResult:
        frames = self._video(self.pipe, request, request.frame_count, progress, cancel)
        return self._with_soundtrack(frames, request, progress, cancel)

    @mode("image")
    def _image(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
               cancel: CancelToken) -> GenerationResult:
        from PIL import Image

        image = Image.fromarray(read_image(request.image))
        frames = self._video(self._image_pipe(), request, request.frame_count, progress, cancel, image=image)
        return self._with_soundtrack(frames, request, progress, cancel)

    @mode("reference")
    def _reference(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                   cancel: CancelToken) -> GenerationResult:
        """The subject of `request.image` (a cameo's reference still) in a new scene: WanVACEPipeline's
        `reference_images`, which the VACE transformer attends to beside the frames it makes (not a first frame)."""
        from diffusers import WanVACEPipeline
        from PIL import Image

        if not isinstance(self.pipe, WanVACEPipeline):
            raise EngineError(f"'{self.spec.id}' has no VACE weights and cannot take a subject reference; "
                              "choose a Wan VACE model (wan-2.1-vace-1.3b).")
        reference = Image.fromarray(read_image(request.image))
        frames = self._video(self.pipe, request, request.frame_count, progress, cancel, reference_images=[reference])
        return self._with_soundtrack(frames, request, progress, cancel)

    @mode("extend")
    def _extend(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                cancel: CancelToken) -> GenerationResult:
        from PIL import Image

        assert source is not None
        prompt, negative = styled_prompts(request.prompt, request.negative_prompt, request.style)
        last = Image.fromarray(source.frames[-1])
        new = self._video(self._image_pipe(), request, request.frame_count + 1, progress, cancel, image=last)
        new = timing.resize_frames(new[1:], source.frames.shape[2], source.frames.shape[1])
        return self._extended(source, new, prompt, negative, request, cancel)

    def _with_soundtrack(self, frames: np.ndarray, request: Recipe, progress: ProgressFn,
                         cancel: CancelToken) -> GenerationResult:
        prompt, negative = styled_prompts(request.prompt, request.negative_prompt, request.style)
        progress("decoding", 0, 0, None)
        audio, rate = self.soundtrack.make(prompt, negative, len(frames) / request.fps, request.seed or 0, cancel)
        return GenerationResult(frames, audio, rate, float(request.fps))

    def _video(self, pipe: Any, request: Recipe, count: int, progress: ProgressFn, cancel: CancelToken,
               **extra: Any) -> np.ndarray:
        multiple = int(pipe.vae_scale_factor_spatial) * int(pipe.transformer.config.patch_size[1])
        width, height = timing.valid_size(request.width, request.height, multiple)
        num_frames = timing.valid_frame_count(count, int(pipe.vae_scale_factor_temporal))
        steps = request.steps or self.spec.default_steps
        prompt, negative = styled_prompts(request.prompt, request.negative_prompt, request.style)
        cancel.raise_if_cancelled()
        progress("encoding", 0, steps, None)
        out = pipe(prompt=prompt, negative_prompt=negative or None, height=height, width=width,
                   num_frames=num_frames, num_inference_steps=steps,
                   guidance_scale=request.guidance if request.guidance is not None else self.spec.default_guidance,
                   generator=torch_generator(request.seed or 0), output_type="np",
                   callback_on_step_end=step_callback(steps, progress, cancel, unpacked_latents_preview), **extra)
        frames = timing.fit_frames(frames_from_output(out.frames), count)
        return timing.resize_frames(frames, request.width, request.height)

    def _extended(self, source: SourceClip, new: np.ndarray, prompt: str, negative: str, request: Recipe,
                  cancel: CancelToken) -> GenerationResult:
        """Parent + new frames; the new part gets its own soundtrack, crossfaded onto the parent's sound."""
        seconds = len(new) / source.fps
        fade_s = timing.SEAM_FADE_S
        # The soundtrack starts fade_s before the new pictures: that lead is what crossfades under the parent.
        audio, rate = self.soundtrack.make(prompt, negative, seconds + fade_s, request.seed or 0, cancel)
        joined = timing.append_after(source_audio(source, rate), audio, rate, fade_s)
        frames = np.concatenate([source.frames, new], axis=0)
        return GenerationResult(frames, timing.fit_audio(joined, rate, len(frames) / source.fps), rate, source.fps)
