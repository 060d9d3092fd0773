Test of leading zeros in ESC sequences.
Two lines below you should see the sentence "This is a correct sentence".

This is a correct sentence















Push <RETURN>




cursor=13,19 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
