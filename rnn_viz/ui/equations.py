"""Help > Equations: the source text's equations in the app's notation (steps and layers from 0)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout

__all__ = ["EquationsDialog", "EQUATIONS_HTML"]

EQUATIONS_HTML = """
<h2>The recurrent network (as in the source text)</h2>
<p>One <b>cell</b> computes one time step; a <b>layer</b> is the cell run in a loop over the sequence.
Steps count from 0 to T&minus;1, layers from 0; the state before step 0 is zero.
The same three weight matrices are used at every step (weight sharing):
W<sub>xh</sub> (input &rarr; hidden), W<sub>hh</sub> (hidden at t&minus;1 &rarr; hidden at t) and
W<sub>hy</sub> (hidden &rarr; output).</p>
<p style="margin-left:2em; font-size:large">
s<sub>t</sub> = W<sub>hh</sub> h<sub>t&minus;1</sub> + W<sub>xh</sub> x<sub>t</sub> + b<sub>h</sub><br>
h<sub>t</sub> = tanh(s<sub>t</sub>) &nbsp;&nbsp;(or relu, or linear: <i>model.activation</i>)<br>
y<sub>t</sub> = W<sub>hy</sub> h<sub>t</sub> + b<sub>y</sub>
&nbsp;&nbsp;&nbsp; (classification: ŷ<sub>t</sub> = softmax(y<sub>t</sub>))</p>
<p>Stacked layers (the source text's Figure 1 has two): layer l reads layer l&minus;1's state instead
of the input,
h<sup>(l)</sup><sub>t</sub> = tanh(W<sup>(l)</sup><sub>hh</sub> h<sup>(l)</sup><sub>t&minus;1</sub>
+ W<sup>(l)</sup><sub>xh</sub> h<sup>(l&minus;1)</sup><sub>t</sub> + b<sup>(l)</sup><sub>h</sub>),
with h<sup>(&minus;1)</sup><sub>t</sub> = x<sub>t</sub>.</p>
<p>The error is measured at every step that carries a loss (the loss mask):
L = &Sigma;<sub>t</sub> L<sub>t</sub>, each term keeping the loss's normalisation
(mean squared error or cross-entropy).</p>

<h2>Backpropagation through time (BPTT)</h2>
<p>Because the weights are shared, the gradient at step t depends on every earlier step.
The error signal is carried backwards, from t = T&minus;1 down to 0:</p>
<p style="margin-left:2em; font-size:large">
&part;L/&part;h<sub>t</sub> = W<sub>hy</sub><sup>T</sup> &part;L<sub>t</sub>/&part;y<sub>t</sub>
+ W<sub>hh</sub><sup>T</sup> diag(1 &minus; h<sub>t+1</sub><sup>2</sup>) &part;L/&part;h<sub>t+1</sub><br>
&part;L/&part;W<sub>hh</sub> = &Sigma;<sub>t</sub> diag(1 &minus; h<sub>t</sub><sup>2</sup>)
&part;L/&part;h<sub>t</sub> h<sub>t&minus;1</sub><sup>T</sup></p>
<p>One loss term reaches an earlier state through a product of step Jacobians:</p>
<p style="margin-left:2em; font-size:large">
&part;L<sub>t'</sub>/&part;h<sub>t</sub> = &part;L<sub>t'</sub>/&part;h<sub>t'</sub>
&prod;<sub>k=t+1</sub><sup>t'</sup> &part;h<sub>k</sub>/&part;h<sub>k&minus;1</sub>,
&nbsp;&nbsp; &part;h<sub>k</sub>/&part;h<sub>k&minus;1</sub> = diag(1 &minus; h<sub>k</sub><sup>2</sup>) W<sub>hh</sub></p>
<p>The <b>gradient-flow matrix</b> shows F[t, k] = ‖&part;L<sub>t</sub>/&part;h<sub>k</sub>‖
for one sample. With &gamma; bounding |tanh'| (&gamma; = 1) and &sigma;<sub>max</sub> the largest
singular value of W<sub>hh</sub> (Pascanu et al. 2013):</p>
<p style="margin-left:2em; font-size:large">
‖&part;h<sub>t'</sub>/&part;h<sub>t</sub>‖ &le;
(&gamma; &sigma;<sub>max</sub>(W<sub>hh</sub>))<sup>t'&minus;t</sup></p>
<p>Below 1 the product shrinks geometrically: the further an error travels back in time, the smaller
it gets (the <b>vanishing gradient problem</b>); above 1 it may grow (exploding gradients, tamed by
clipping the gradient norm). The bound covers one path through one vanilla layer; gated cells
(LSTM, GRU) add paths it does not describe.</p>

<h2>Truncated BPTT: TBPTT(k1, k2)</h2>
<p>Every k1 steps, the losses of those k1 steps are backpropagated through at most k2 steps
(1 &le; k1 &le; k2). Block j holds the steps [j&middot;k1, (j+1)&middot;k1); its losses reach back to
step max(0, (j+1)&middot;k1 &minus; k2) and no further. Beyond that the gradient is exactly zero: in the
flow matrix, F[t, k] = 0 outside the band. With k1 = 1 each error travels back through at most k2
steps, its own included: the source text's definition ("usually about 5"). k1 = k2 = k is what
PyTorch users get by detaching the hidden state every k steps. k2 &ge; k1&middot;&lceil;T/k1&rceil;
gives the full gradient.</p>

<h2>Worked example from the source text (two layers, t = 2)</h2>
<p style="margin-left:2em">
y<sub>2</sub> = W<sub>hy</sub> h<sup>(1)</sup><sub>2</sub> + b<sub>y</sub><br>
h<sup>(1)</sup><sub>2</sub> = tanh(W<sup>(1)</sup><sub>xh</sub> h<sup>(0)</sup><sub>2</sub>
+ W<sup>(1)</sup><sub>hh</sub> h<sup>(1)</sup><sub>1</sub> + b<sup>(1)</sup><sub>h</sub>)<br>
h<sup>(0)</sup><sub>2</sub> = tanh(W<sup>(0)</sup><sub>xh</sub> x<sub>2</sub>
+ W<sup>(0)</sup><sub>hh</sub> h<sup>(0)</sup><sub>1</sub> + b<sup>(0)</sup><sub>h</sub>)<br>
&part;y<sub>2</sub>/&part;W<sup>(1)</sup><sub>hh</sub> depends on h<sup>(1)</sup><sub>1</sub>, which itself
depends on W<sup>(1)</sup><sub>hh</sub>: a correct derivative unrolls all the way back to t = 0.</p>
<p>(The source text numbers layers and steps from 1; the app counts both from 0 and writes the layer as a superscript.)</p>
"""


class EquationsDialog(QDialog):
    """A non-modal window with the equations, so it can stay open beside the views."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("EquationsDialog")
        self.setWindowTitle("Equations: RNN, BPTT and truncated BPTT")
        browser = QTextBrowser(self)
        browser.setObjectName("EquationsText")
        browser.setHtml(EQUATIONS_HTML)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(browser)
        layout.addWidget(buttons)
        self.resize(720, 640)
