********************************************************************************
********************************************************************************
********************************************************************************

This should be three identical lines of *'s completely filling
the top of the screen without any empty lines between.
(Test of WRAP AROUND mode setting.)
Push <RETURN>
















cursor=13,7 visible=1 alt=0 region=0-23 origin=0 wrap=1 insert=0 ckm=0 kp=0 mouse=00000
