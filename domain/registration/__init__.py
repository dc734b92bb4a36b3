"""The registration dialogue, pure: no Telegram, no database, no I/O.

- state.py: the steps, the draft (what has been entered so far), the register's entry;
- events.py: what can happen (a typed text, a contact, a button, a command, the register's
  answers), buttons.py: the buttons and their callback data;
- outcomes.py: what the dialogue answers: messages, effects to write, questions to the
  register, as one `Transition`;
- machine.py: `react(state, event, facts)`, with answers.py for the four questions.
"""

from domain.registration.events import typed_consent
from domain.registration.state import QUESTION_ORDER, Step, next_step, parse_step

__all__ = ["QUESTION_ORDER", "Step", "next_step", "parse_step", "typed_consent"]
