"""LTX-2: joint video and audio from one diffusers pipeline family.

Modes and how each is made:
- text: `LTX2Pipeline`.
- image: `LTX2ConditionPipeline`, the image as a condition at latent frame 0.
- keyframes: `LTX2ConditionPipeline`, the images spread evenly over the latent frames (indices count
  latent frames, as in the original LTX-2 code).
- extend: the parent's last 1 + r frames (r = the VAE's temporal ratio) as a video condition at index 0;
  the new frames after them are appended to the parent, audio crossfaded at the seam; one take.
- video: SDEdit-style video-to-video: the parent encoded by the VAE, noised to `strength`, and denoised
  over the remaining part of the schedule.
- retake: video-to-video over the whole parent, then only the frames and sound inside [from, to) are
  replaced, with short ramps at both edges, so everything outside the range is the parent's.
- latent upscale: when the short side asked for is above the model's `upscale_above` option, text,
  image and keyframes clips are generated at half size and doubled by `LTX2LatentUpsamplePipeline`
  (VAE encode, 2x latent upsampler, decode) when the model folder has `latent_upsampler/` weights;
  without them the clip is generated at full size. (No refinement pass at full size after upscaling.)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from studio.cancel import CancelToken
from studio.engine import timing
from studio.engine.loading import load_pipeline
from studio.engine.memory import MemoryPlan, apply_plan, check_host_ram, torch_dtype
from studio.engine.preview import packed_latents_preview
from studio.engine.registry import ModelSpec, require_installed
from studio.engine.styles import styled_prompts
from studio.errors import EngineError
from studio.recipe import Recipe

from .base import Backend, GenerationResult, ProgressFn, SourceClip, frames_from_output, step_callback, torch_generator

# tiny-random runs one transformer pass per step: the extra guidance passes only cost time on noise.
_TINY_CALL_ARGS: dict[str, Any] = {
    "stg_scale": 0.0, "audio_stg_scale": 0.0, "modality_scale": 1.0, "audio_modality_scale": 1.0,
    "audio_guidance_scale": 1.0, "max_sequence_length": 16,
}


class LTX2Backend(Backend):
    """Holds one loaded LTX2Pipeline; the condition pipeline shares its components."""

    def __init__(self, spec: ModelSpec, pipe: Any, plan: MemoryPlan, location: Path | None = None,
                 call_args: dict[str, Any] | None = None) -> None:
        super().__init__(spec)
        self.pipe = pipe
        self.plan = plan
        self.location = location  # None: built in code (tiny-random)
        self.call_args = dict(call_args or {})
        self._condition_pipe: Any = None
        self._upsample_pipe: Any = None
        pipe.set_progress_bar_config(disable=True)

    @classmethod
    def load(cls, spec: ModelSpec, plan: MemoryPlan) -> LTX2Backend:
        """Build tiny-random in code, or load the weights from disk (EngineError with the pull command if absent)."""
        from diffusers import LTX2Pipeline
        from diffusers.utils import logging as diffusers_logging

        # diffusers warns on every .to() about modules it would keep in float32; noise for a creator.
        diffusers_logging.set_verbosity_error()
        if spec.id == "tiny-random" or spec.options.get("tiny"):
            from studio.engine.tiny import build_components

            pipe = LTX2Pipeline(**build_components(seed=0))
            apply_plan(pipe, plan)
            return cls(spec, pipe, plan, None, _TINY_CALL_ARGS)
        location = require_installed(spec)
        assert location is not None
        check_host_ram(spec, plan)
        pipe = load_pipeline(LTX2Pipeline, location, torch_dtype(plan))
        apply_plan(pipe, plan)
        return cls(spec, pipe, plan, location)

    def unload(self) -> None:
        self.pipe = None
        self._condition_pipe = None
        self._upsample_pipe = None

    # ---- geometry -------------------------------------------------------------------------------
    @property
    def temporal_ratio(self) -> int:
        return int(self.pipe.vae_temporal_compression_ratio)

    @property
    def spatial_multiple(self) -> int:
        return int(self.pipe.vae_spatial_compression_ratio) * int(self.pipe.transformer_spatial_patch_size)

    def _size(self, request: Recipe) -> tuple[int, int]:
        return timing.valid_size(request.width, request.height, self.spatial_multiple)

    def _condition(self) -> Any:
        if self._condition_pipe is None:
            from diffusers import LTX2ConditionPipeline

            self._condition_pipe = LTX2ConditionPipeline.from_pipe(self.pipe)
            self._condition_pipe.set_progress_bar_config(disable=True)
        return self._condition_pipe

    def _upsampler(self) -> Any:
        """The latent upsample pipeline sharing our VAE, or None when this model has no upsampler weights."""
        if self._upsample_pipe is None:
            from diffusers import LTX2LatentUpsamplePipeline

            if self.location is None:
                from studio.engine.tiny import build_latent_upsampler

                model = build_latent_upsampler(seed=0)
            elif (self.location / "latent_upsampler").is_dir():
                from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

                model = LTX2LatentUpsamplerModel.from_pretrained(
                    str(self.location), subfolder="latent_upsampler", dtype=torch_dtype(self.plan),
                    use_safetensors=True, local_files_only=True)
            else:
                return None
            model.to(device=self.plan.device, dtype=torch_dtype(self.plan))
            self._upsample_pipe = LTX2LatentUpsamplePipeline(vae=self.pipe.vae, latent_upsampler=model)
            self._upsample_pipe.set_progress_bar_config(disable=True)
        return self._upsample_pipe

    def _wants_upscale(self, request: Recipe) -> bool:
        return min(request.width, request.height) > self.spec.options.get("upscale_above", float("inf"))

    def _upscale(self, frames: np.ndarray, request: Recipe) -> np.ndarray:
        """Double the size of generated frames through the latent upsampler."""
        pipe = self._upsampler()
        padded = timing.fit_frames(frames, timing.valid_frame_count(len(frames), self.temporal_ratio))
        out = pipe(video=[padded.astype(np.float32) / 255.0], height=frames.shape[1], width=frames.shape[2],
                   num_frames=len(padded), output_type="np", generator=torch_generator(request.seed or 0))
        return timing.fit_frames(frames_from_output(out.frames), len(frames))

    # ---- generation -----------------------------------------------------------------------------
    def generate(self, request: Recipe, *, source: SourceClip | None, progress: ProgressFn,
                 cancel: CancelToken) -> GenerationResult:
        if self.pipe is None:
            raise EngineError(f"Model '{self.spec.id}' was unloaded; submit the job again.")
        if request.mode in ("extend", "video", "retake") and source is None:
            raise EngineError(f"Mode '{request.mode}' needs a parent clip, and none was given.")
        started = time.monotonic()
        if request.mode == "text":
            result = self._fresh(request, progress, cancel, conditions=None)
        elif request.mode == "image":
            result = self._fresh(request, progress, cancel, conditions=[(_read_image(request.image), 0)])
        elif request.mode == "keyframes":
            result = self._keyframes(request, progress, cancel)
        elif request.mode == "extend":
            result = self._extend(request, source, progress, cancel)
        elif request.mode == "video":
            result = self._video_to_video(request, source, progress, cancel)
        elif request.mode == "retake":
            result = self._retake(request, source, progress, cancel)
        else:
            raise EngineError(f"Model '{self.spec.id}' cannot do mode '{request.mode}'.")
        result.timings.setdefault("generate_s", time.monotonic() - started)
        return result

    def _call(self, pipe: Any, request: Recipe, num_frames: int, progress: ProgressFn, cancel: CancelToken,
              **extra: Any) -> tuple[np.ndarray, np.ndarray, int]:
        """Run one pipeline call; (frames uint8 at the generated size, stereo audio, audio rate)."""
        width, height = self._size(request)
        steps = request.steps or self.spec.default_steps
        guidance = request.guidance if request.guidance is not None else self.spec.default_guidance
        prompt, negative = styled_prompts(request.prompt, request.negative_prompt, request.style)
        latent_frames = (num_frames - 1) // self.temporal_ratio + 1
        lh, lw = height // self.spatial_multiple, width // self.spatial_multiple
        run_steps = len(extra["sigmas"]) if "sigmas" in extra else steps

        def preview(latents: Any) -> np.ndarray:
            return packed_latents_preview(latents, latent_frames, lh, lw)

        cancel.raise_if_cancelled()
        progress("encoding", 0, run_steps, None)
        call_args = {**self.call_args, **extra}
        if "sigmas" not in call_args:
            call_args["num_inference_steps"] = steps
        out = pipe(
            prompt=prompt or " ", negative_prompt=negative, height=height, width=width, num_frames=num_frames,
            frame_rate=float(request.fps), guidance_scale=guidance, generator=torch_generator(request.seed or 0),
            output_type="np", return_dict=True,
            callback_on_step_end=step_callback(run_steps, progress, cancel, preview),
            **call_args,
        )
        frames = frames_from_output(out.frames)
        audio = timing.as_stereo(out.audio[0].float().cpu().numpy().T)
        rate = int(self.pipe.vocoder.config.output_sampling_rate)
        return frames, audio, rate

    def _finish(self, request: Recipe, frames: np.ndarray, audio: np.ndarray, rate: int,
                count: int) -> GenerationResult:
        """Trim/pad to exactly `count` frames at the requested size, sound to the same length."""
        frames = timing.resize_frames(timing.fit_frames(frames, count), request.width, request.height)
        seconds = count / request.fps
        return GenerationResult(frames, timing.fit_audio(audio, rate, seconds), rate, float(request.fps))

    def _fresh(self, request: Recipe, progress: ProgressFn, cancel: CancelToken,
               conditions: list[tuple[np.ndarray, int]] | None) -> GenerationResult:
        if self._wants_upscale(request) and self._upsampler() is not None:
            half = request.replace(width=max(16, request.width // 2), height=max(16, request.height // 2))
            started = time.monotonic()
            low = self._fresh(half, progress, cancel, conditions)
            cancel.raise_if_cancelled()
            frames = timing.resize_frames(self._upscale(low.frames, request), request.width, request.height)
            low.timings["upscale_s"] = time.monotonic() - started
            return GenerationResult(frames, low.audio, low.sample_rate, low.fps, low.timings)
        count = request.frame_count
        num_frames = timing.valid_frame_count(count, self.temporal_ratio)
        if conditions:
            from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

            conds = [LTX2VideoCondition(frames=image, index=index, strength=1.0) for image, index in conditions]
            frames, audio, rate = self._call(self._condition(), request, num_frames, progress, cancel, conditions=conds)
        else:
            frames, audio, rate = self._call(self.pipe, request, num_frames, progress, cancel)
        return self._finish(request, frames, audio, rate, count)

    def _keyframes(self, request: Recipe, progress: ProgressFn, cancel: CancelToken) -> GenerationResult:
        num_frames = timing.valid_frame_count(request.frame_count, self.temporal_ratio)
        last_latent = (num_frames - 1) // self.temporal_ratio
        images = [_read_image(path) for path in request.keyframes]
        indices = [round(i * last_latent / (len(images) - 1)) for i in range(len(images))]
        return self._fresh(request, progress, cancel, conditions=list(zip(images, indices)))

    def _extend(self, request: Recipe, source: SourceClip, progress: ProgressFn,
                cancel: CancelToken) -> GenerationResult:
        """Parent + new material as one clip; the parent's frames and sound are kept as they were."""
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        width, height = self._size(request)
        held = min(self.temporal_ratio + 1, len(source.frames))
        tail = timing.resize_frames(source.frames[-held:], width, height)
        new_count = request.frame_count
        num_frames = timing.valid_frame_count(held + new_count, self.temporal_ratio)
        condition = LTX2VideoCondition(frames=tail, index=0, strength=1.0)
        frames, audio, rate = self._call(self._condition(), request, num_frames, progress, cancel,
                                         conditions=[condition])
        new_frames = timing.resize_frames(timing.fit_frames(frames[held:], new_count),
                                          source.frames.shape[2], source.frames.shape[1])
        all_frames = np.concatenate([source.frames, new_frames], axis=0)
        seconds = len(all_frames) / source.fps
        new_audio = audio[round(held / request.fps * rate):]
        base = _source_audio(source, rate)
        fade = round(timing.SEAM_FADE_S * rate)
        # The new sound starts `fade` early, under the parent's last samples, so the seam crossfades.
        joined = timing.crossfade_append(base, new_audio, fade)
        return GenerationResult(all_frames, timing.fit_audio(joined, rate, seconds), rate, source.fps)

    def _video_to_video(self, request: Recipe, source: SourceClip, progress: ProgressFn,
                        cancel: CancelToken) -> GenerationResult:
        """SDEdit: the parent's latents noised to `strength`, then the tail of the schedule denoised."""
        width, height = self._size(request)
        count = len(source.frames)
        num_frames = timing.valid_frame_count(count, self.temporal_ratio)
        pixels = timing.resize_frames(timing.fit_frames(source.frames, num_frames), width, height)
        latents = self._encode_video(pixels)
        steps = request.steps or self.spec.default_steps
        kept = max(1, round(steps * request.strength))
        sigmas = list(np.linspace(request.strength, request.strength / kept, kept))
        frames, audio, rate = self._call(self.pipe, request.replace(fps=source.fps), num_frames, progress, cancel,
                                         latents=latents, noise_scale=float(request.strength), sigmas=sigmas)
        frames = timing.resize_frames(timing.fit_frames(frames, count), source.frames.shape[2], source.frames.shape[1])
        return GenerationResult(frames, timing.fit_audio(audio, rate, count / source.fps), rate, source.fps)

    def _retake(self, request: Recipe, source: SourceClip, progress: ProgressFn,
                cancel: CancelToken) -> GenerationResult:
        assert request.range_from is not None and request.range_to is not None
        redo = self._video_to_video(request, source, progress, cancel)
        start = min(len(source.frames) - 1, round(request.range_from * source.fps))
        end = min(len(source.frames), max(start + 1, round(request.range_to * source.fps)))
        frames = timing.splice_range(source.frames, redo.frames[start:end], start, fade=min(4, (end - start) // 2))
        rate = redo.sample_rate
        base = _source_audio(source, rate)
        a0, a1 = round(start / source.fps * rate), round(end / source.fps * rate)
        audio = timing.splice_range(base, redo.audio[a0:a1], a0, fade=round(timing.SEAM_FADE_S * rate))
        return GenerationResult(frames, audio, rate, source.fps)

    def _encode_video(self, frames: np.ndarray) -> Any:
        """uint8 frames -> raw VAE latents (B, C, F, H, W), the form LTX2Pipeline's `latents=` normalises itself."""
        import torch

        vae = self.pipe.vae
        device = self.pipe._execution_device
        pixels = torch.from_numpy(frames).to(torch.float32).permute(3, 0, 1, 2).unsqueeze(0) / 127.5 - 1.0
        with torch.no_grad():
            encoded = vae.encode(pixels.to(device=device, dtype=vae.dtype))
        return encoded.latent_dist.mode()


def _source_audio(source: SourceClip, rate: int) -> np.ndarray:
    """The parent's sound at `rate`, exactly as long as its frames (silence if it had none)."""
    if source.audio is None:
        return np.zeros((round(source.seconds * rate), 2), dtype=np.float32)
    return timing.fit_audio(timing.resample_audio(source.audio, source.sample_rate, rate), rate, source.seconds)


def _read_image(path: str | None) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB; EngineError naming the file when it cannot be read."""
    import cv2

    if not path:
        raise EngineError("This mode needs an image file and none was given.")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise EngineError(f"Could not read the image '{path}'. Use a PNG or JPEG file.")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
