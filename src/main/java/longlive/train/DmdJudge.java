package longlive.train;

import java.util.Arrays;
import java.util.SplittableRandom;
import longlive.dit.DitConfig;
import longlive.dit.DitKernels;
import longlive.dit.DitState;
import longlive.dit.DitTape;
import longlive.dit.DitTraining;
import longlive.dit.DitWeights;
import longlive.dit.FullSequenceDit;
import longlive.sampling.FlowMatchSchedule;

/**
 * The two score models of DMD over a window of generated frames (Self-Forcing {@code model/dmd.py}): the frozen
 * teacher as the real score with classifier-free guidance, the critic as the fake score. Gives the generator's DMD
 * gradient ({@link #generatorGradient}) and trains the critic with the flow loss ({@link #criticLoss}); both noise
 * the window at one timestep from {@link TimestepSampler#dmd}.
 */
final class DmdJudge {
    private final DitConfig c;
    private final FlowMatchSchedule schedule;
    private final double shift;
    private final FullSequenceDit teacher, criticFull;
    private final DitTraining criticTrain;
    private final DitWeights criticGrad;
    private final DmdLoss dmd;
    private final CriticFlowLoss flowLoss;
    private final DitState state;
    private final DitTape criticTape;
    private final int frames, h, w, frameSize;
    private final float[] ctxCond, ctxUncond, ctxCritic, textScratch, ts;
    private final float[] eps, xt, v, fake, realC, realU, grad, dV, window;

    /**
     * @param critic      the critic's weights (trained in place; {@code criticGrad} receives its gradients)
     * @param uncond      the text encoder's output for the empty caption (the unconditional prompt)
     * @param frames      frames of the judged window
     */
    DmdJudge(DitWeights teacher, DitWeights critic, DitWeights criticGrad, DitKernels kernels, FlowMatchSchedule schedule,
             double shift, double guidance, float[] uncond, int frames, int latentHeight, int latentWidth) {
        this.c = teacher.config();
        this.schedule = schedule;
        this.shift = shift;
        this.teacher = new FullSequenceDit(teacher, kernels);
        this.criticFull = new FullSequenceDit(critic, kernels);
        this.criticTrain = new DitTraining(critic, kernels);
        this.criticGrad = criticGrad;
        this.dmd = new DmdLoss(guidance);
        this.flowLoss = new CriticFlowLoss(schedule);
        this.frames = frames;
        this.h = latentHeight;
        this.w = latentWidth;
        this.frameSize = c.inDim() * h * w;
        int fsl = c.frameSeqLen(h, w), tl = c.textLen();
        this.state = new DitState(c, frames, fsl);
        this.criticTape = new DitTape(c, frames, fsl);
        ctxCond = new float[tl * c.dim()];
        ctxUncond = new float[tl * c.dim()];
        ctxCritic = new float[tl * c.dim()];
        textScratch = new float[tl * Math.max(c.dim(), c.textDim())];
        ts = new float[frames];
        int n = frames * frameSize;
        eps = new float[n];
        xt = new float[n];
        v = new float[n];
        fake = new float[n];
        realC = new float[n];
        realU = new float[n];
        grad = new float[n];
        dV = new float[n];
        window = new float[n];
        this.teacher.embedPrompt(uncond, tl, ctxUncond, textScratch);
    }

    private float noise(float[] x, int off, SplittableRandom rnd) {
        float t = TimestepSampler.dmd(rnd, shift);
        VaeTraining.gaussian(rnd, eps);
        schedule.addNoise(x, off, eps, 0, t, xt, 0, xt.length);
        return t;
    }

    private void predictX0(FullSequenceDit model, float[] ctx, float t, float[] out) {
        Arrays.fill(ts, t);
        model.forward(state, xt, 0, frames, h, w, ts, ctx, null, v, 0);
        schedule.x0FromVelocity(xt, 0, v, 0, t, out, 0, out.length);
    }

    /**
     * DMD on the window {@code x[off, off + frames·frameSize)}: writes {@code dX} (the gradient of
     * {@code 0.5·mean_masked(x − sg(x − grad))²} w.r.t. the window, zero on unmasked frames) and returns the loss.
     *
     * @param mask frames that get loss (LongLive: only the chunk's new frames), null for all
     */
    double generatorGradient(float[] x, int off, float[] prompt, SplittableRandom rnd, boolean[] mask, float[] dX) {
        float t = noise(x, off, rnd);
        criticFull.embedPrompt(prompt, c.textLen(), ctxCritic, textScratch);
        predictX0(criticFull, ctxCritic, t, fake);
        teacher.embedPrompt(prompt, c.textLen(), ctxCond, textScratch);
        predictX0(teacher, ctxCond, t, realC);
        predictX0(teacher, ctxUncond, t, realU);
        System.arraycopy(x, off, window, 0, window.length);
        dmd.klGrad(window, fake, realC, realU, grad);
        return DmdLoss.loss(grad, mask, frameSize, dX);
    }

    /** The critic's flow loss on the (detached) window; with {@code backward} accumulates into the critic gradient. */
    double criticLoss(float[] x, int off, float[] prompt, SplittableRandom rnd, boolean backward) {
        float t = noise(x, off, rnd);
        Arrays.fill(ts, t);
        criticTrain.forward(criticTape, xt, 0, frames, h, w, ts, prompt, c.textLen(), null, v, 0);
        System.arraycopy(x, off, window, 0, window.length);
        double loss = flowLoss.loss(v, xt, window, eps, t, backward ? dV : null);
        if (backward) criticTrain.backward(criticTape, dV, 0, criticGrad, null, 0, null, 0, null);
        return loss;
    }
}
